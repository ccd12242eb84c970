// istio-analyze: Istio's analyzers over YAML files, with the Kubernetes kinds a cluster holds.
//
// `istioctl analyze --use-kube=false` reads files without Pods, Services, Secrets, Namespaces
// and Nodes (pkg/config/analysis/local/istiod_analyze.go, AddReaderKubeSource, drops
// kuberesource.DefaultExcludedSchemas), so every analyzer that reads one of them is skipped
// (pkg/config/analysis/analyzer.go, RemoveSkipped): gateway.IngressGatewayPortAnalyzer,
// gateway.SecretAnalyzer, gateway.ConflictingGatewayAnalyzer, virtualservice.DestinationHostAnalyzer,
// service.PortNameAnalyzer and more. This program loads the files as Istio's own analyzer tests do
// (pkg/config/analysis/analyzers/analyzers_test.go, setupAnalyzerForCase: AddTestReaderKubeSource,
// then AddDefaultResources), runs analyzers.AllCombined() over all namespaces, and prints the
// messages as `istioctl analyze -o json` does. It is what `istioctl analyze` reports against a
// cluster that holds exactly these objects.
//
// -default-resources=false leaves out the stand-in ingress gateway Pod and Service that
// AddDefaultResources adds, for inputs that describe their whole cluster (the bad corpus:
// e2e/istio_checks.py), where that stand-in would select what the file means to select nothing.
//
// Usage: istio-analyze [-verbose] [-default-resources=false] FILE_OR_DIR...
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"istio.io/istio/istioctl/pkg/util/formatting"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/log"
)

func main() {
	verbose := flag.Bool("verbose", false, "print the skipped and executed analyzers on stderr")
	defaults := flag.Bool("default-resources", true, "add istioctl's default ingress gateway resources")
	flag.Parse()
	for _, scope := range log.Scopes() { // informational logs would bury the messages
		scope.SetOutputLevel(log.ErrorLevel)
	}
	var readers []local.ReaderSource
	for _, arg := range flag.Args() {
		err := filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" && ext != ".json" {
				return nil
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			readers = append(readers, local.ReaderSource{Name: path, Reader: f})
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "istio-analyze:", err)
			os.Exit(2)
		}
	}
	sa := local.NewSourceAnalyzer(analyzers.AllCombined(), "", resource.Namespace("istio-system"), nil)
	if err := sa.AddTestReaderKubeSource(readers); err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze: reading files:", err)
		os.Exit(2)
	}
	if *defaults {
		if err := sa.AddDefaultResources(); err != nil {
			fmt.Fprintln(os.Stderr, "istio-analyze: default resources:", err)
			os.Exit(2)
		}
	}
	result, err := sa.Analyze(make(chan struct{}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze:", err)
		os.Exit(2)
	}
	if *verbose {
		fmt.Fprintf(os.Stderr, "Skipped analyzers: %s\n", strings.Join(result.SkippedAnalyzers, ", "))
		fmt.Fprintf(os.Stderr, "Executed analyzers: %s\n", strings.Join(result.ExecutedAnalyzers, ", "))
	}
	messages := result.Messages
	messages.SetDocRef("istioctl-analyze")
	out, err := formatting.Print(messages, formatting.JSONFormat, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze:", err)
		os.Exit(2)
	}
	fmt.Println(out)
}
