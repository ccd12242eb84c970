// The Go twin of ../python/__main__.py, ../yaml/Pulumi.yaml and ../typescript/index.ts: an ingress
// gateway with an HTTPS server, and a VirtualService bound to it, through the SDK generated from
// the meshgw package's schema. e2e/multilang.py builds it and runs it: the Go Automation API runs
// program as an inline program under the real CLI (no pulumi-language-go), then this prints the
// stack's outputs as one line of JSON. Its manifests must equal the Python program's.
//
// Usage: multilang-go WORK_DIR (holding Pulumi.yaml and the stack's config; the backend and the
// passphrase come from PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"example.com/pulumi-meshgw/sdk/go/meshgw"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func program(ctx *pulumi.Context) error {
	pub, err := meshgw.NewIngressGateway(ctx, "public", &meshgw.IngressGatewayArgs{
		Namespace: pulumi.String("istio-ingress"),
		Exposure:  pulumi.String("public"),
		Servers: meshgw.ServerArray{meshgw.ServerArgs{
			Port:  meshgw.PortArgs{Number: pulumi.Int(443), Name: pulumi.String("https"), Protocol: pulumi.String("HTTPS")},
			Hosts: pulumi.StringArray{pulumi.String("shop.example.com")},
			Tls: meshgw.ServerTLSArgs{
				Mode: pulumi.String("SIMPLE"),
				Certificate: meshgw.CertificateArgs{
					Config: meshgw.ConfigPemArgs{Cert: pulumi.String("shopCert"), Key: pulumi.String("shopKey")},
				},
			},
		}},
	})
	if err != nil {
		return err
	}
	_, err = meshgw.NewVirtualService(ctx, "shop", &meshgw.VirtualServiceArgs{
		Namespace: pulumi.String("shop"),
		Hosts:     pulumi.StringArray{pulumi.String("shop.example.com")},
		Gateways:  pulumi.StringArray{pub.Ref},
		Http: meshgw.HTTPRouteArray{meshgw.HTTPRouteArgs{
			Route: meshgw.HTTPRouteDestinationArray{meshgw.HTTPRouteDestinationArgs{
				Destination: meshgw.DestinationArgs{
					Host: pulumi.String("shop.shop.svc.cluster.local"),
					Port: meshgw.PortSelectorArgs{Number: pulumi.Int(8080)},
				},
			}},
		}},
	})
	if err != nil {
		return err
	}
	ctx.Export("gateway", pub.Ref)
	return nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: multilang-go WORK_DIR")
		os.Exit(2)
	}
	if err := up(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func up(workDir string) error {
	ctx := context.Background()
	stack, err := auto.SelectStackInlineSource(ctx, "dev", "meshgw-multilang", program, auto.WorkDir(workDir))
	if err != nil {
		return err
	}
	result, err := stack.Up(ctx, optup.ProgressStreams(os.Stderr), optup.ErrorProgressStreams(io.Discard))
	if err != nil {
		return err
	}
	outputs := map[string]any{}
	for name, out := range result.Outputs {
		if out.Secret {
			outputs[name] = "[secret]"
		} else {
			outputs[name] = out.Value
		}
	}
	line, err := json.Marshal(map[string]any{"result": result.Summary.Result, "outputs": outputs})
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}
