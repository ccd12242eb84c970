// Command istio-analyze runs Istio's analyzers (the ones `istioctl analyze` runs) over YAML files,
// reading every kind in them, Pods, Services, Secrets, Namespaces and Nodes included.
//
// `istioctl analyze --use-kube=false` never reads those five kinds from files: they are "runtime
// resources" (pkg/config/analysis/legacy/util/kuberesource/resources.go, IsDefaultExcluded), and
// every analyzer that needs one is skipped (pkg/config/analysis/analyzer.go, RemoveSkipped). With a
// cluster, istioctl reads them from the API server. This program feeds them from the files instead,
// as Istio's own analyzer tests do (local.IstiodAnalyzer.AddTestReaderKubeSource), and runs the same
// analyzers, built from the same pinned Istio source as istioctl (e2e/setup).
//
// It does not add istioctl's default ingress gateway (AddDefaultResources): the files describe the
// whole cluster, so a Gateway that selects no Pod in them is reported, as it would be in a cluster
// without that gateway.
//
// Usage: istio-analyze FILE... ; prints the messages as `istioctl analyze -o json` does, all
// namespaces, and exits 0 (1 on a read or parse error).
package main

import (
	"fmt"
	"os"

	"istio.io/istio/istioctl/pkg/root"
	"istio.io/istio/istioctl/pkg/util/formatting"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/log"
)

func main() {
	// istioctl's logging: warnings and up, on stderr, so stdout holds only the messages.
	opts := root.LoggingOptions
	opts.OutputPaths = []string{"stderr"}
	if err := log.Configure(opts); err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze: logging:", err)
		os.Exit(1)
	}
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), resource.Namespace(""), resource.Namespace("istio-system"), nil)
	var readers []local.ReaderSource
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		readers = append(readers, local.ReaderSource{Name: name, Reader: f})
	}
	if err := sa.AddTestReaderKubeSource(readers); err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze: reading files:", err)
		os.Exit(1)
	}
	cancel := make(chan struct{})
	result, err := sa.Analyze(cancel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze:", err)
		os.Exit(1)
	}
	out, err := formatting.Print(*result.Messages.SetDocRef("istioctl-analyze"), formatting.JSONFormat, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze:", err)
		os.Exit(1)
	}
	fmt.Println(out)
}
