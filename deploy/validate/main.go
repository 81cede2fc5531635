// Command validate-manifests checks Kubernetes manifests offline, with no cluster: every YAML
// document of the files named (or of standard input) is decoded strictly into its Go type and
// checked with the code that is available without an API server.
//
//   - serving.knative.dev/v1 Services: Knative Serving's own SetDefaults and Validate (what its
//     admission webhooks run), in a context configured like the cluster: the config-defaults,
//     config-features and config-autoscaler ConfigMaps found in the input (namespace
//     knative-serving) over Knative's defaults.
//   - Knative's ConfigMaps in knative-serving: parsed by Knative's own constructors (what its
//     ConfigMap webhook runs); a key that changes nothing is refused as a likely typo.
//   - core, apps, policy, rbac, networking and node objects: decoded strictly into the k8s.io/api
//     types (unknown or duplicate fields refused), typed against the schema the API server uses
//     for server-side apply (duplicate keys in keyed lists refused), and checked with
//     apimachinery's validation of names, labels, annotations and selectors plus the per-kind
//     checks in checks.go. The API server's own per-kind validation (k8s.io/kubernetes) is not run.
//
// Exit status: 0 when every document passes, 1 when one fails, 2 when the input cannot be read.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"knative.dev/pkg/apis"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// document is one YAML document of the input.
type document struct {
	source string // file name and document number, for messages
	json   []byte
	gvk    schema.GroupVersionKind
	name   string
	ns     string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"-"}
	}
	for _, arg := range args {
		if arg == "-h" || arg == "--help" {
			fmt.Fprintln(stdout, "usage: validate-manifests [FILE ...]   (- or no FILE: standard input)")
			return 0
		}
	}
	var docs []document
	var readFailures []string
	for _, arg := range args {
		var reader io.Reader
		name := arg
		if arg == "-" {
			reader, name = stdin, "stdin"
		} else {
			file, err := os.Open(arg)
			if err != nil {
				fmt.Fprintf(stderr, "validate-manifests: %v\n", err)
				return 2
			}
			defer file.Close()
			reader = file
		}
		read, failures, err := readDocuments(name, reader)
		if err != nil {
			fmt.Fprintf(stderr, "validate-manifests: %s: %v\n", name, err)
			return 2
		}
		docs = append(docs, read...)
		readFailures = append(readFailures, failures...)
	}
	for _, failure := range readFailures {
		fmt.Fprintf(stdout, "FAIL  %s\n", failure)
	}
	if len(docs) == 0 && len(readFailures) == 0 {
		fmt.Fprintln(stderr, "validate-manifests: no Kubernetes objects in the input")
		return 2
	}

	knative, configFailures := knativeConfigFrom(docs)
	ctx := knative.toContext(context.Background())
	fmt.Fprintf(stdout, "Knative settings: %s\n", knative.describe())

	failed := len(readFailures)
	for _, doc := range docs {
		label := fmt.Sprintf("%s %s", doc.gvk.Kind, qualifiedName(doc))
		errs := configFailures[doc.source]
		errs = append(errs, validate(ctx, doc)...)
		if len(errs) == 0 {
			fmt.Fprintf(stdout, "ok    %s\n", label)
			for _, warning := range knativeWarnings(ctx, doc) {
				fmt.Fprintf(stdout, "        warning (Knative accepts it): %s\n", warning)
			}
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL  %s (%s)\n", label, doc.source)
		for _, err := range errs {
			for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
				fmt.Fprintf(stdout, "        %s\n", line)
			}
		}
	}
	total := len(docs) + len(readFailures)
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d objects are invalid\n", failed, total)
		return 1
	}
	fmt.Fprintf(stdout, "all %d objects are valid\n", total)
	return 0
}

func qualifiedName(doc document) string {
	if doc.ns == "" {
		return doc.name
	}
	return doc.ns + "/" + doc.name
}

// readDocuments splits a YAML stream into documents and reads each one's kind and name. A
// document that is not a Kubernetes object is reported as a failure; an empty one is skipped.
func readDocuments(name string, reader io.Reader) ([]document, []string, error) {
	yamlReader := utilyaml.NewYAMLReader(bufio.NewReader(reader))
	var docs []document
	var failures []string
	for index := 1; ; index++ {
		raw, err := yamlReader.Read()
		if errors.Is(err, io.EOF) {
			return docs, failures, nil
		}
		if err != nil {
			return nil, nil, err
		}
		source := fmt.Sprintf("%s, document %d", name, index)
		if isBlank(raw) {
			continue
		}
		// Strict: a key given twice in the YAML is refused, as kubectl refuses it.
		json, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: not valid YAML: %v", source, err))
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(json, &head); err != nil || head.APIVersion == "" || head.Kind == "" {
			failures = append(failures, fmt.Sprintf("%s: not a Kubernetes object (apiVersion and kind are required)", source))
			continue
		}
		gv, err := schema.ParseGroupVersion(head.APIVersion)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: apiVersion %q: %v", source, head.APIVersion, err))
			continue
		}
		docs = append(docs, document{source: source, json: json, gvk: gv.WithKind(head.Kind), name: head.Metadata.Name, ns: head.Metadata.Namespace})
	}
}

// isBlank says whether a document holds only comments and blank lines.
func isBlank(raw []byte) bool {
	for _, line := range bytes.Split(raw, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 && trimmed[0] != '#' && !bytes.Equal(trimmed, []byte("---")) {
			return false
		}
	}
	return true
}

// decodeStrict decodes JSON into `into` the way the API server does for a request with
// fieldValidation=Strict: case-sensitive, unknown and duplicate fields refused.
func decodeStrict(json []byte, into any) []error {
	strictErrs, err := kjson.UnmarshalStrict(json, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return []error{err}
	}
	return strictErrs
}

// validate runs every check that applies to one document.
func validate(ctx context.Context, doc document) []error {
	if doc.gvk.Group == "serving.knative.dev" {
		return validateKnative(ctx, doc)
	}
	object, err := scheme.Scheme.New(doc.gvk)
	if err != nil {
		return []error{fmt.Errorf("%s is not a kind this validator knows (core, apps, policy, rbac, networking and node objects from k8s.io/api %s, and Knative Services)", doc.gvk, "v0.31")}
	}
	if errs := decodeStrict(doc.json, object); len(errs) > 0 {
		return errs
	}
	// The schema the API server types objects with for server-side apply: keyed lists (containers
	// by name, env by name, ports by port and protocol, ...) must not repeat a key.
	if _, err := applyconfigurations.NewTypeConverter(scheme.Scheme).ObjectToTyped(object); err != nil {
		return []error{fmt.Errorf("schema: %w", err)}
	}
	return checkObject(object)
}

// validateKnative runs Knative Serving's defaulting and validation on a Service.
func validateKnative(ctx context.Context, doc document) []error {
	if doc.gvk.Version != "v1" || doc.gvk.Kind != "Service" {
		return []error{fmt.Errorf("%s: only serving.knative.dev/v1 Services are validated", doc.gvk)}
	}
	service := newKnativeService()
	if errs := decodeStrict(doc.json, service); len(errs) > 0 {
		return errs
	}
	if service.Namespace == "" {
		return []error{errors.New("metadata.namespace: required (kubectl would otherwise use the current context's namespace)")}
	}
	// What the webhooks do on create: default, then validate the defaulted object.
	ctx = apis.WithinCreate(ctx)
	service.SetDefaults(ctx)
	if fieldErr := service.Validate(ctx).Filter(apis.ErrorLevel); fieldErr != nil {
		return []error{errors.New(fieldErr.Error())}
	}
	return nil
}

// knativeWarnings are what Knative's webhook would return as admission warnings: the object is
// accepted, and kubectl prints them.
func knativeWarnings(ctx context.Context, doc document) []string {
	if doc.gvk.Group != "serving.knative.dev" || doc.gvk.Kind != "Service" {
		return nil
	}
	service := newKnativeService()
	if errs := decodeStrict(doc.json, service); len(errs) > 0 {
		return nil
	}
	ctx = apis.WithinCreate(ctx)
	service.SetDefaults(ctx)
	warnings := service.Validate(ctx).Filter(apis.WarningLevel)
	if warnings == nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(warnings.Error()), "\n")
}
