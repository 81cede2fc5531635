// Knative Serving's cluster settings, read from the input's ConfigMaps in knative-serving with
// Knative's own constructors, and the context its Service validation runs in.
package main

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	servingconfig "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	asconfig "knative.dev/serving/pkg/autoscaler/config"
	"knative.dev/serving/pkg/autoscaler/config/autoscalerconfig"
	"knative.dev/serving/pkg/deployment"
)

const knativeNamespace = "knative-serving"

// shippedData is what a ConfigMap holds after Knative's installation, besides its _example: the
// keys a ConfigMap applied over it is merged with. config-deployment ships the queue-proxy image.
var shippedData = map[string]map[string]string{
	"config-deployment": {"queue-sidecar-image": "registry.invalid/knative/queue:shipped"},
}

// constructors are Knative's parsers of the ConfigMaps its webhook validates and this validator knows.
var constructors = map[string]func(map[string]string) (any, error){
	servingconfig.DefaultsConfigName: func(data map[string]string) (any, error) { return servingconfig.NewDefaultsConfigFromMap(data) },
	servingconfig.FeaturesConfigName: func(data map[string]string) (any, error) { return servingconfig.NewFeaturesConfigFromMap(data) },
	"config-autoscaler":              func(data map[string]string) (any, error) { return asconfig.NewConfigFromMap(data) },
	deployment.ConfigName:            func(data map[string]string) (any, error) { return deployment.NewConfigFromMap(data) },
}

// knativeSettings is the configuration Service validation runs with, and where each part came from.
type knativeSettings struct {
	config  servingconfig.Config
	sources []string
}

func (k *knativeSettings) toContext(ctx context.Context) context.Context {
	return servingconfig.ToContext(ctx, &k.config)
}

func (k *knativeSettings) describe() string {
	if len(k.sources) == 0 {
		return "Knative's defaults (no config-defaults, config-features or config-autoscaler in the input)"
	}
	return strings.Join(k.sources, "; ") + "; Knative's defaults otherwise"
}

func newKnativeService() *servingv1.Service {
	return &servingv1.Service{}
}

// knativeConfigFrom parses the Knative ConfigMaps of the input. Errors are keyed by the
// document's source, so they are reported with that document.
func knativeConfigFrom(docs []document) (*knativeSettings, map[string][]error) {
	settings := &knativeSettings{}
	defaults, _ := servingconfig.NewDefaultsConfigFromMap(map[string]string{})
	features, _ := servingconfig.NewFeaturesConfigFromMap(map[string]string{})
	autoscaler, _ := asconfig.NewConfigFromMap(map[string]string{})
	settings.config = servingconfig.Config{Defaults: defaults, Features: features, Autoscaler: autoscaler}
	failures := map[string][]error{}
	for _, doc := range docs {
		if doc.gvk.Group != "" || doc.gvk.Version != "v1" || doc.gvk.Kind != "ConfigMap" || doc.ns != knativeNamespace {
			continue
		}
		construct, known := constructors[doc.name]
		if !known {
			continue
		}
		var configMap corev1.ConfigMap
		if errs := decodeStrict(doc.json, &configMap); len(errs) > 0 {
			continue // reported by the ConfigMap's own validation
		}
		merged := map[string]string{}
		for key, value := range shippedData[doc.name] {
			merged[key] = value
		}
		for key, value := range configMap.Data {
			merged[key] = value
		}
		parsed, err := construct(merged)
		if err != nil {
			failures[doc.source] = append(failures[doc.source], fmt.Errorf("Knative refuses %s: %w", doc.name, err))
			continue
		}
		// Knative ignores keys it does not know: a key that changes nothing is most likely misspelt.
		baseline, _ := construct(shippedData[doc.name])
		keys := make([]string, 0, len(configMap.Data))
		for key := range configMap.Data {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			if strings.HasPrefix(key, "_") {
				continue
			}
			single := map[string]string{}
			for k, v := range shippedData[doc.name] {
				single[k] = v
			}
			single[key] = configMap.Data[key]
			alone, err := construct(single)
			if err == nil && reflect.DeepEqual(alone, baseline) {
				failures[doc.source] = append(failures[doc.source], fmt.Errorf(
					"%s: key %q changes nothing in Knative's settings (a key Knative does not know, or its default value)", doc.name, key))
			}
		}
		switch value := parsed.(type) {
		case *servingconfig.Defaults:
			settings.config.Defaults = value
		case *servingconfig.Features:
			settings.config.Features = value
		case *autoscalerconfig.Config:
			settings.config.Autoscaler = value
		}
		if doc.name != deployment.ConfigName {
			settings.sources = append(settings.sources, fmt.Sprintf("%s from %s (%s)", doc.name, doc.source, describeData(configMap.Data)))
		}
	}
	return settings, failures
}

func describeData(data map[string]string) string {
	pairs := make([]string, 0, len(data))
	for key, value := range data {
		pairs = append(pairs, key+"="+value)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ", ")
}
