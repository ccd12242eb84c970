// gensdk writes the TypeScript or Go SDK of a Pulumi package schema with Pulumi's own code
// generators (github.com/pulumi/pulumi/pkg/v3/codegen/nodejs and codegen/go, the code `pulumi
// package gen-sdk --language nodejs|go` runs through the language hosts, which cannot be built
// here: docs/e2e.md). e2e/setup builds it against the CLI's pkg/v3 version.
//
// Usage: gensdk [-language nodejs|go] -schema schema.json -out DIR
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	schemaPath := flag.String("schema", "", "the package schema (JSON), as `pulumi package get-schema` prints it")
	out := flag.String("out", "", "the folder to write the SDK into (emptied first)")
	language := flag.String("language", "nodejs", "nodejs or go")
	flag.Parse()
	if *schemaPath == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gensdk -schema schema.json -out DIR")
		os.Exit(2)
	}
	if err := run(*language, *schemaPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gensdk:", err)
		os.Exit(1)
	}
}

func run(language, schemaPath, out string) error {
	text, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(text, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	// Binding validates the schema against Pulumi's metaschema, as `pulumi package gen-sdk` does.
	pkg, diags, err := schema.BindSpec(spec, noDependencies{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return diags
	}
	var files map[string][]byte
	switch language {
	case "nodejs":
		files, err = nodejs.GeneratePackage("meshgw-e2e-gensdk", pkg, nil, nil, false, noDependencies{})
	case "go":
		files, err = gogen.GeneratePackage("meshgw-e2e-gensdk", pkg, nil)
	default:
		err = fmt.Errorf("-language %q: expected nodejs or go", language)
	}
	if err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("gensdk: %d files in %s\n", len(names), out)
	return nil
}

// noDependencies is the loader for a package that references no other package (meshgw's schema
// has no dependencies): any request to load one is an error naming it.
type noDependencies struct{}

func (noDependencies) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema references package %q; gensdk loads no other package", name)
}

func (l noDependencies) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, nil)
}

func (l noDependencies) LoadPackageReference(name string, v *semver.Version) (schema.PackageReference, error) {
	_, err := l.LoadPackage(name, v)
	return nil, err
}

func (l noDependencies) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, nil)
}
