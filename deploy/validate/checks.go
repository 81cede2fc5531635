// The per-kind checks that can run without an API server, built from apimachinery's validation
// helpers. They cover what manifests most often get wrong (names, labels, selectors that do not
// match, ports, probes, references between fields); the API server's full validation
// (k8s.io/kubernetes/pkg/apis/*/validation) is more and is not run here.
package main

import (
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rbacName is how the API server checks Role and RoleBinding names (a path segment).
func rbacName(name string, prefix bool) []string { return path.IsValidPathSegmentName(name) }

// checkObject checks one decoded object: its metadata (namespace required for namespaced kinds,
// so kubectl never drops it into the current context's namespace) and the kind's own checks.
func checkObject(object runtime.Object) []error {
	var errs field.ErrorList
	meta := func(m *metav1.ObjectMeta, namespaced bool, name apivalidation.ValidateNameFunc) {
		errs = append(errs, apivalidation.ValidateObjectMeta(m, namespaced, name, field.NewPath("metadata"))...)
		if m.Name == "" && m.GenerateName != "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "name"), "kubectl apply needs a name"))
		}
	}
	switch o := object.(type) {
	case *corev1.Namespace:
		meta(&o.ObjectMeta, false, apivalidation.ValidateNamespaceName)
	case *corev1.ServiceAccount:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain)
	case *corev1.ConfigMap:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, checkDataKeys(o.Data, o.BinaryData, field.NewPath("data"))...)
	case *corev1.Secret:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, checkDataKeys(o.StringData, o.Data, field.NewPath("data"))...)
	case *corev1.Service:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNS1035Label)
		errs = append(errs, checkService(o)...)
	case *appsv1.Deployment:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, checkDeployment(o)...)
	case *appsv1.DaemonSet:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, checkWorkload(o.Spec.Selector, &o.Spec.Template)...)
	case *policyv1.PodDisruptionBudget:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, checkDisruptionBudget(o)...)
	case *rbacv1.Role:
		meta(&o.ObjectMeta, true, rbacName)
		errs = append(errs, checkRules(o.Rules)...)
	case *rbacv1.RoleBinding:
		meta(&o.ObjectMeta, true, rbacName)
		errs = append(errs, checkRoleBinding(o)...)
	case *rbacv1.ClusterRole:
		meta(&o.ObjectMeta, false, rbacName)
		errs = append(errs, checkRules(o.Rules)...)
	case *networkingv1.NetworkPolicy:
		meta(&o.ObjectMeta, true, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, checkNetworkPolicy(o)...)
	case *nodev1.RuntimeClass:
		meta(&o.ObjectMeta, false, apivalidation.NameIsDNSSubdomain)
		errs = append(errs, checkRuntimeClass(o)...)
	default:
		return []error{fmt.Errorf("%T: decoded and typed, but this validator has no checks for the kind", object)}
	}
	return toErrors(errs)
}

func toErrors(list field.ErrorList) []error {
	out := make([]error, 0, len(list))
	for _, err := range list {
		out = append(out, errors.New(err.Error()))
	}
	return out
}

func messages(fld *field.Path, value any, problems []string) field.ErrorList {
	var errs field.ErrorList
	for _, problem := range problems {
		errs = append(errs, field.Invalid(fld, value, problem))
	}
	return errs
}

func checkDataKeys(text map[string]string, binary map[string][]byte, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for key := range text {
		errs = append(errs, messages(fld.Key(key), key, validation.IsConfigMapKey(key))...)
	}
	for key := range binary {
		errs = append(errs, messages(fld.Key(key), key, validation.IsConfigMapKey(key))...)
		if _, twice := text[key]; twice {
			errs = append(errs, field.Duplicate(fld.Key(key), key))
		}
	}
	return errs
}

func checkSelector(selector *metav1.LabelSelector, fld *field.Path) field.ErrorList {
	return metavalidation.ValidateLabelSelector(selector, metavalidation.LabelSelectorValidationOptions{}, fld)
}

func checkService(service *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	switch service.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		if len(service.Spec.Ports) == 0 {
			errs = append(errs, field.Required(spec.Child("ports"), "a Service of this type needs a port"))
		}
	case corev1.ServiceTypeExternalName:
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), service.Spec.Type, []string{"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}))
	}
	errs = append(errs, metavalidation.ValidateLabels(service.Spec.Selector, spec.Child("selector"))...)
	names := map[string]bool{}
	for i, port := range service.Spec.Ports {
		fld := spec.Child("ports").Index(i)
		if len(service.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(fld.Child("name"), "every port needs a name when there are several"))
		}
		if port.Name != "" {
			errs = append(errs, messages(fld.Child("name"), port.Name, validation.IsDNS1123Label(port.Name))...)
			if names[port.Name] {
				errs = append(errs, field.Duplicate(fld.Child("name"), port.Name))
			}
			names[port.Name] = true
		}
		errs = append(errs, messages(fld.Child("port"), port.Port, validation.IsValidPortNum(int(port.Port)))...)
		errs = append(errs, checkProtocol(port.Protocol, fld.Child("protocol"))...)
		errs = append(errs, checkPortReference(port.TargetPort, fld.Child("targetPort"), true)...)
	}
	return errs
}

func checkProtocol(protocol corev1.Protocol, fld *field.Path) field.ErrorList {
	switch protocol {
	case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		return nil
	}
	return field.ErrorList{field.NotSupported(fld, protocol, []string{"TCP", "UDP", "SCTP"})}
}

// checkPortReference checks a port given by number or by name.
func checkPortReference(port intstr.IntOrString, fld *field.Path, zeroAllowed bool) field.ErrorList {
	if port.Type == intstr.String {
		return messages(fld, port.StrVal, validation.IsValidPortName(port.StrVal))
	}
	if zeroAllowed && port.IntVal == 0 {
		return nil
	}
	return messages(fld, port.IntVal, validation.IsValidPortNum(int(port.IntVal)))
}

func checkDeployment(deployment *appsv1.Deployment) field.ErrorList {
	var errs field.ErrorList
	if deployment.Spec.Replicas != nil && *deployment.Spec.Replicas < 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "replicas"), *deployment.Spec.Replicas, "must be 0 or more"))
	}
	return append(errs, checkWorkload(deployment.Spec.Selector, &deployment.Spec.Template)...)
}

// checkWorkload checks what Deployments and DaemonSets share: a selector that picks the pod
// template's labels, and the pod template.
func checkWorkload(selector *metav1.LabelSelector, template *corev1.PodTemplateSpec) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if selector == nil || (len(selector.MatchLabels) == 0 && len(selector.MatchExpressions) == 0) {
		errs = append(errs, field.Required(spec.Child("selector"), "a non-empty selector is needed"))
	} else {
		errs = append(errs, checkSelector(selector, spec.Child("selector"))...)
		if parsed, err := metav1.LabelSelectorAsSelector(selector); err == nil && !parsed.Matches(labels.Set(template.Labels)) {
			errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), template.Labels, "`selector` does not match template `labels`"))
		}
	}
	errs = append(errs, metavalidation.ValidateLabels(template.Labels, spec.Child("template", "metadata", "labels"))...)
	return append(errs, checkPodSpec(&template.Spec, spec.Child("template", "spec"))...)
}

func checkPodSpec(pod *corev1.PodSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if pod.ServiceAccountName != "" {
		errs = append(errs, messages(fld.Child("serviceAccountName"), pod.ServiceAccountName, validation.IsDNS1123Subdomain(pod.ServiceAccountName))...)
	}
	volumes := map[string]bool{}
	for i, volume := range pod.Volumes {
		errs = append(errs, messages(fld.Child("volumes").Index(i).Child("name"), volume.Name, validation.IsDNS1123Label(volume.Name))...)
		volumes[volume.Name] = true
	}
	if len(pod.Containers) == 0 {
		errs = append(errs, field.Required(fld.Child("containers"), "a pod needs a container"))
	}
	for i := range pod.Containers {
		errs = append(errs, checkContainer(&pod.Containers[i], volumes, fld.Child("containers").Index(i))...)
	}
	for i := range pod.InitContainers {
		errs = append(errs, checkContainer(&pod.InitContainers[i], volumes, fld.Child("initContainers").Index(i))...)
	}
	if pod.SecurityContext != nil {
		for name, id := range map[string]*int64{"runAsUser": pod.SecurityContext.RunAsUser, "runAsGroup": pod.SecurityContext.RunAsGroup, "fsGroup": pod.SecurityContext.FSGroup} {
			if id != nil && *id < 0 {
				errs = append(errs, field.Invalid(fld.Child("securityContext", name), *id, "must be 0 or more"))
			}
		}
	}
	for i, constraint := range pod.TopologySpreadConstraints {
		c := fld.Child("topologySpreadConstraints").Index(i)
		if constraint.MaxSkew < 1 {
			errs = append(errs, field.Invalid(c.Child("maxSkew"), constraint.MaxSkew, "must be at least 1"))
		}
		errs = append(errs, metavalidation.ValidateLabelName(constraint.TopologyKey, c.Child("topologyKey"))...)
		if constraint.LabelSelector != nil {
			errs = append(errs, checkSelector(constraint.LabelSelector, c.Child("labelSelector"))...)
		}
	}
	return errs
}

func checkContainer(container *corev1.Container, volumes map[string]bool, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, messages(fld.Child("name"), container.Name, validation.IsDNS1123Label(container.Name))...)
	if strings.TrimSpace(container.Image) == "" {
		errs = append(errs, field.Required(fld.Child("image"), "a container needs an image"))
	}
	portNames := map[string]bool{}
	for i, port := range container.Ports {
		p := fld.Child("ports").Index(i)
		errs = append(errs, messages(p.Child("containerPort"), port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))...)
		if port.Name != "" {
			errs = append(errs, messages(p.Child("name"), port.Name, validation.IsValidPortName(port.Name))...)
			portNames[port.Name] = true
		}
		errs = append(errs, checkProtocol(port.Protocol, p.Child("protocol"))...)
	}
	for i, env := range container.Env {
		e := fld.Child("env").Index(i)
		errs = append(errs, messages(e.Child("name"), env.Name, validation.IsEnvVarName(env.Name))...)
		if env.ValueFrom != nil {
			if env.Value != "" {
				errs = append(errs, field.Invalid(e.Child("valueFrom"), "", "may not be given together with value"))
			}
			sources := 0
			if ref := env.ValueFrom.SecretKeyRef; ref != nil {
				sources++
				errs = append(errs, messages(e.Child("valueFrom", "secretKeyRef", "name"), ref.Name, validation.IsDNS1123Subdomain(ref.Name))...)
				errs = append(errs, messages(e.Child("valueFrom", "secretKeyRef", "key"), ref.Key, validation.IsConfigMapKey(ref.Key))...)
			}
			if ref := env.ValueFrom.ConfigMapKeyRef; ref != nil {
				sources++
				errs = append(errs, messages(e.Child("valueFrom", "configMapKeyRef", "name"), ref.Name, validation.IsDNS1123Subdomain(ref.Name))...)
				errs = append(errs, messages(e.Child("valueFrom", "configMapKeyRef", "key"), ref.Key, validation.IsConfigMapKey(ref.Key))...)
			}
			if env.ValueFrom.FieldRef != nil {
				sources++
			}
			if env.ValueFrom.ResourceFieldRef != nil {
				sources++
			}
			if sources != 1 {
				errs = append(errs, field.Invalid(e.Child("valueFrom"), sources, "exactly one source is needed"))
			}
		}
	}
	for i, from := range container.EnvFrom {
		f := fld.Child("envFrom").Index(i)
		if (from.ConfigMapRef == nil) == (from.SecretRef == nil) {
			errs = append(errs, field.Invalid(f, "", "exactly one of configMapRef and secretRef is needed"))
		}
		if from.ConfigMapRef != nil {
			errs = append(errs, messages(f.Child("configMapRef", "name"), from.ConfigMapRef.Name, validation.IsDNS1123Subdomain(from.ConfigMapRef.Name))...)
		}
		if from.SecretRef != nil {
			errs = append(errs, messages(f.Child("secretRef", "name"), from.SecretRef.Name, validation.IsDNS1123Subdomain(from.SecretRef.Name))...)
		}
	}
	for i, mount := range container.VolumeMounts {
		m := fld.Child("volumeMounts").Index(i)
		if !volumes[mount.Name] {
			errs = append(errs, field.NotFound(m.Child("name"), mount.Name))
		}
		if !strings.HasPrefix(mount.MountPath, "/") {
			errs = append(errs, field.Invalid(m.Child("mountPath"), mount.MountPath, "must be an absolute path"))
		}
	}
	for name, probe := range map[string]*corev1.Probe{"readinessProbe": container.ReadinessProbe, "livenessProbe": container.LivenessProbe, "startupProbe": container.StartupProbe} {
		if probe != nil {
			errs = append(errs, checkProbe(probe, portNames, fld.Child(name))...)
		}
	}
	errs = append(errs, checkResources(container.Resources, fld.Child("resources"))...)
	return errs
}

func checkProbe(probe *corev1.Probe, portNames map[string]bool, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	handlers := 0
	if probe.HTTPGet != nil {
		handlers++
		port := probe.HTTPGet.Port
		errs = append(errs, checkPortReference(port, fld.Child("httpGet", "port"), false)...)
		if port.Type == intstr.String && !portNames[port.StrVal] {
			errs = append(errs, field.NotFound(fld.Child("httpGet", "port"), port.StrVal))
		}
		if probe.HTTPGet.Path != "" && !strings.HasPrefix(probe.HTTPGet.Path, "/") {
			errs = append(errs, field.Invalid(fld.Child("httpGet", "path"), probe.HTTPGet.Path, "must start with /"))
		}
	}
	if probe.TCPSocket != nil {
		handlers++
	}
	if probe.Exec != nil {
		handlers++
	}
	if probe.GRPC != nil {
		handlers++
	}
	if handlers != 1 {
		errs = append(errs, field.Invalid(fld, handlers, "exactly one handler (httpGet, tcpSocket, exec, grpc) is needed"))
	}
	for name, value := range map[string]int32{"periodSeconds": probe.PeriodSeconds, "failureThreshold": probe.FailureThreshold, "timeoutSeconds": probe.TimeoutSeconds, "initialDelaySeconds": probe.InitialDelaySeconds} {
		if value < 0 {
			errs = append(errs, field.Invalid(fld.Child(name), value, "must be 0 or more"))
		}
	}
	return errs
}

func checkResources(resources corev1.ResourceRequirements, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, list := range []struct {
		name  string
		items corev1.ResourceList
	}{{"requests", resources.Requests}, {"limits", resources.Limits}} {
		for name, quantity := range list.items {
			if quantity.Sign() < 0 {
				errs = append(errs, field.Invalid(fld.Child(list.name).Key(string(name)), quantity.String(), "must be 0 or more"))
			}
		}
	}
	for name, request := range resources.Requests {
		if limit, ok := resources.Limits[name]; ok && request.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(fld.Child("requests").Key(string(name)), request.String(), "must be at most the limit "+limit.String()))
		}
	}
	return errs
}

func checkDisruptionBudget(budget *policyv1.PodDisruptionBudget) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if (budget.Spec.MinAvailable == nil) == (budget.Spec.MaxUnavailable == nil) {
		errs = append(errs, field.Invalid(spec, "", "exactly one of minAvailable and maxUnavailable is needed"))
	}
	for name, value := range map[string]*intstr.IntOrString{"minAvailable": budget.Spec.MinAvailable, "maxUnavailable": budget.Spec.MaxUnavailable} {
		if value == nil {
			continue
		}
		if value.Type == intstr.Int && value.IntVal < 0 {
			errs = append(errs, field.Invalid(spec.Child(name), value.IntVal, "must be 0 or more"))
		}
		if value.Type == intstr.String {
			if _, err := intstr.GetScaledValueFromIntOrPercent(value, 100, true); err != nil || !strings.HasSuffix(value.StrVal, "%") {
				errs = append(errs, field.Invalid(spec.Child(name), value.StrVal, "a number or a percentage such as 50%"))
			}
		}
	}
	if budget.Spec.Selector != nil {
		errs = append(errs, checkSelector(budget.Spec.Selector, spec.Child("selector"))...)
	}
	return errs
}

func checkRules(rules []rbacv1.PolicyRule) field.ErrorList {
	var errs field.ErrorList
	for i, rule := range rules {
		fld := field.NewPath("rules").Index(i)
		if len(rule.Verbs) == 0 {
			errs = append(errs, field.Required(fld.Child("verbs"), "a rule needs verbs"))
		}
		if len(rule.NonResourceURLs) > 0 {
			errs = append(errs, field.Invalid(fld.Child("nonResourceURLs"), rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(rule.APIGroups) == 0 {
			errs = append(errs, field.Required(fld.Child("apiGroups"), "a resource rule needs apiGroups (\"\" for the core group)"))
		}
		if len(rule.Resources) == 0 {
			errs = append(errs, field.Required(fld.Child("resources"), "a resource rule needs resources"))
		}
	}
	return errs
}

func checkRoleBinding(binding *rbacv1.RoleBinding) field.ErrorList {
	var errs field.ErrorList
	ref := field.NewPath("roleRef")
	if binding.RoleRef.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(ref.Child("apiGroup"), binding.RoleRef.APIGroup, []string{rbacv1.GroupName}))
	}
	if binding.RoleRef.Kind != "Role" && binding.RoleRef.Kind != "ClusterRole" {
		errs = append(errs, field.NotSupported(ref.Child("kind"), binding.RoleRef.Kind, []string{"Role", "ClusterRole"}))
	}
	if binding.RoleRef.Name == "" {
		errs = append(errs, field.Required(ref.Child("name"), ""))
	} else {
		errs = append(errs, messages(ref.Child("name"), binding.RoleRef.Name, path.IsValidPathSegmentName(binding.RoleRef.Name))...)
	}
	for i, subject := range binding.Subjects {
		fld := field.NewPath("subjects").Index(i)
		switch subject.Kind {
		case rbacv1.ServiceAccountKind:
			if subject.APIGroup != "" {
				errs = append(errs, field.NotSupported(fld.Child("apiGroup"), subject.APIGroup, []string{""}))
			}
			errs = append(errs, messages(fld.Child("name"), subject.Name, validation.IsDNS1123Subdomain(subject.Name))...)
			if subject.Namespace != "" {
				errs = append(errs, messages(fld.Child("namespace"), subject.Namespace, validation.IsDNS1123Label(subject.Namespace))...)
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if subject.APIGroup != rbacv1.GroupName {
				errs = append(errs, field.NotSupported(fld.Child("apiGroup"), subject.APIGroup, []string{rbacv1.GroupName}))
			}
			if subject.Name == "" {
				errs = append(errs, field.Required(fld.Child("name"), ""))
			}
		default:
			errs = append(errs, field.NotSupported(fld.Child("kind"), subject.Kind, []string{"ServiceAccount", "User", "Group"}))
		}
	}
	return errs
}

func checkNetworkPolicy(policy *networkingv1.NetworkPolicy) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	errs = append(errs, checkSelector(&policy.Spec.PodSelector, spec.Child("podSelector"))...)
	for i, policyType := range policy.Spec.PolicyTypes {
		if policyType != networkingv1.PolicyTypeIngress && policyType != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(spec.Child("policyTypes").Index(i), policyType, []string{"Ingress", "Egress"}))
		}
	}
	peers := func(list []networkingv1.NetworkPolicyPeer, fld *field.Path) {
		for i, peer := range list {
			p := fld.Index(i)
			given := 0
			if peer.PodSelector != nil {
				given++
				errs = append(errs, checkSelector(peer.PodSelector, p.Child("podSelector"))...)
			}
			if peer.NamespaceSelector != nil {
				given++
				errs = append(errs, checkSelector(peer.NamespaceSelector, p.Child("namespaceSelector"))...)
			}
			if peer.IPBlock != nil {
				if given > 0 {
					errs = append(errs, field.Forbidden(p.Child("ipBlock"), "may not be combined with podSelector or namespaceSelector"))
				}
				given++
				errs = append(errs, validation.IsValidCIDR(p.Child("ipBlock", "cidr"), peer.IPBlock.CIDR)...)
				for j, except := range peer.IPBlock.Except {
					errs = append(errs, validation.IsValidCIDR(p.Child("ipBlock", "except").Index(j), except)...)
				}
			}
			if given == 0 {
				errs = append(errs, field.Required(p, "a peer needs podSelector, namespaceSelector or ipBlock"))
			}
		}
	}
	ports := func(list []networkingv1.NetworkPolicyPort, fld *field.Path) {
		for i, port := range list {
			p := fld.Index(i)
			if port.Protocol != nil {
				errs = append(errs, checkProtocol(*port.Protocol, p.Child("protocol"))...)
			}
			if port.Port != nil {
				errs = append(errs, checkPortReference(*port.Port, p.Child("port"), false)...)
				if port.EndPort != nil && (port.Port.Type != intstr.Int || *port.EndPort < port.Port.IntVal) {
					errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "needs a numeric port at or below it"))
				}
			}
		}
	}
	for i, rule := range policy.Spec.Ingress {
		peers(rule.From, spec.Child("ingress").Index(i).Child("from"))
		ports(rule.Ports, spec.Child("ingress").Index(i).Child("ports"))
	}
	for i, rule := range policy.Spec.Egress {
		peers(rule.To, spec.Child("egress").Index(i).Child("to"))
		ports(rule.Ports, spec.Child("egress").Index(i).Child("ports"))
	}
	return errs
}

func checkRuntimeClass(class *nodev1.RuntimeClass) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, messages(field.NewPath("handler"), class.Handler, validation.IsDNS1123Label(class.Handler))...)
	if class.Overhead != nil {
		for name, quantity := range class.Overhead.PodFixed {
			if quantity.Cmp(resource.MustParse("0")) < 0 {
				errs = append(errs, field.Invalid(field.NewPath("overhead", "podFixed").Key(string(name)), quantity.String(), "must be 0 or more"))
			}
		}
	}
	if class.Scheduling != nil {
		errs = append(errs, metavalidation.ValidateLabels(class.Scheduling.NodeSelector, field.NewPath("scheduling", "nodeSelector"))...)
	}
	return errs
}
