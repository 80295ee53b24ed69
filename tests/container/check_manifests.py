#!/usr/bin/env python3
"""Structure checks of the deployment files (used by tests/container.sh).

    check_manifests.py COMPOSE_YAML K8S_DIR

COMPOSE_YAML: deploy/compose.yaml, or what `docker compose config` made of
it. K8S_DIR: deploy/k8s. Every YAML must parse; each Kubernetes object must
have the fields the API server requires, and the files must agree with each
other (selectors, names, timings): the Ingress (streams unbuffered, long
read timeouts, TLS from a Secret) reaches the Service, the NetworkPolicies
select the Deployment's pods and PostgreSQL's (POSTGRES_LABELS) and let in
only the Ingress controller and only the service and the migration Job, and
the CA for sslmode=verify-full is mounted where the ConfigMap's example
says. Prints one line per problem; exits 1 if there is any."""
import os
import re
import sys

import yaml

problems = []

# The labels of PostgreSQL's pods in the cluster that networkpolicy.yaml
# assumes (the Bitnami chart's); the README says to change them together.
POSTGRES_LABELS = {"app.kubernetes.io/name": "postgresql"}
# The ingress-nginx controller's namespace and pod labels.
INGRESS_NAMESPACE = "ingress-nginx"
INGRESS_LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}


def need(cond, what):
    if not cond:
        problems.append(what)
    return cond


def dig(obj, *path):
    for key in path:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def selects(selector, labels):
    """A matchLabels selector (non-empty) selects a pod with these labels."""
    return bool(selector) and all((labels or {}).get(k) == v for k, v in selector.items())


def defaults(text):
    """compose's ${VAR:-default} and ${VAR} with their defaults (for the file
    as written, before `docker compose config`)."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", str(text))


def volume_targets(service):
    """Target path -> source of a compose service's volumes (short or long syntax)."""
    out = {}
    for v in service.get("volumes") or []:
        if isinstance(v, dict):
            out[v.get("target")] = str(v.get("source"))
        else:
            parts = defaults(v).split(":")
            if len(parts) >= 2:
                out[parts[1]] = parts[0]
    return out


def container_ports(service):
    out = set()
    for p in service.get("ports") or []:
        if isinstance(p, dict):
            out.add(int(p.get("target")))
        else:
            out.add(int(defaults(p).split("/")[0].split(":")[-1]))
    return out


def check_compose(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    services = doc.get("services") or {}
    for name in ("postgres", "migrate", "culturecare", "nginx", "ollama"):
        need(name in services, f"compose: no service {name}")
    published = sorted(n for n, s in services.items() if s.get("ports"))
    need(published == ["nginx"], f"compose: published ports on {published}, expected nginx only")
    need("ollama" in (dig(services, "ollama", "profiles") or []), "compose: ollama is not in profile ollama")
    deps = dig(services, "culturecare", "depends_on") or {}
    need(dig(deps, "migrate", "condition") == "service_completed_successfully",
         "compose: culturecare does not wait for migrate to complete")
    need(dig(deps, "postgres", "condition") == "service_healthy",
         "compose: culturecare does not wait for a healthy postgres")
    need("pg_isready" in str(dig(services, "postgres", "healthcheck", "test")),
         "compose: postgres healthcheck is not pg_isready")
    pg_volumes = [str(v) for v in dig(services, "postgres", "volumes") or []]
    need(any(v.startswith("pgdata:") or "'source': 'pgdata'" in v for v in pg_volumes)
         and "pgdata" in (doc.get("volumes") or {}), "compose: postgres data is not on the named volume pgdata")
    env = dig(services, "culturecare", "environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    need("AUTH" in env, "compose: culturecare has no AUTH setting")
    need("migrate" in str(dig(services, "migrate", "command")) and "import" in str(dig(services, "migrate", "command")),
         "compose: migrate does not run migrate and import")
    nginx = services.get("nginx") or {}
    need(container_ports(nginx) == {80, 443}, f"compose: nginx publishes {sorted(container_ports(nginx))}, expected 80 and 443")
    mounts = volume_targets(nginx)
    need("/etc/nginx/tls" in mounts, "compose: nginx has no certificate folder on /etc/nginx/tls")
    need(mounts.get("/etc/nginx/conf.d/default.conf", "").endswith("/tls.conf"),
         "compose: nginx's site is not the TLS edge (tls.conf) by default")
    need("/etc/nginx/culturecare" in mounts, "compose: deploy/nginx is not mounted on /etc/nginx/culturecare")


def meta_name(doc):
    return dig(doc, "metadata", "name")


def check_pod(where, spec):
    containers = dig(spec, "containers")
    if not need(isinstance(containers, list) and containers, f"{where}: no containers"):
        return
    for c in containers:
        need(c.get("name") and c.get("image"), f"{where}: a container without name or image")
        need(dig(c, "securityContext", "readOnlyRootFilesystem") is True, f"{where}: root filesystem not read-only")
        need(dig(c, "securityContext", "allowPrivilegeEscalation") is False, f"{where}: privilege escalation allowed")
        need(dig(c, "resources", "requests") and dig(c, "resources", "limits"), f"{where}: no resource requests and limits")
    need(dig(spec, "securityContext", "runAsNonRoot") is True, f"{where}: runAsNonRoot not set")


def check_k8s(folder):
    docs = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(folder, name)) as f:
            docs[name] = [d for d in yaml.safe_load_all(f) if d is not None]
    kust = docs.pop("kustomization.yaml", [None])[0]
    if need(kust, "k8s: no kustomization.yaml"):
        listed = kust.get("resources") or []
        for r in listed:
            need(r in docs, f"kustomization: {r} does not exist")
        for name in docs:
            need(name in listed, f"kustomization: {name} is not listed")
    objects = [(n, d) for n, ds in docs.items() for d in ds]
    by_kind = {}
    for file, d in objects:
        where = f"{file}: {d.get('kind')}/{meta_name(d)}"
        need(d.get("apiVersion") and d.get("kind") and meta_name(d), f"{file}: apiVersion, kind or metadata.name missing")
        by_kind.setdefault(d.get("kind"), []).append((where, d))
    config = {}
    for _, d in by_kind.get("ConfigMap", []):
        config.update(d.get("data") or {})
    for where, d in by_kind.get("ConfigMap", []) + by_kind.get("Secret", []):
        for field in ("data", "stringData"):
            for k, v in (d.get(field) or {}).items():
                need(isinstance(v, str), f"{where}: {field}.{k} is not a string")
    deployments = {}
    for where, d in by_kind.get("Deployment", []):
        deployments[meta_name(d)] = d
        spec = d.get("spec") or {}
        sel = dig(spec, "selector", "matchLabels") or {}
        labels = dig(spec, "template", "metadata", "labels") or {}
        need(sel and all(labels.get(k) == v for k, v in sel.items()), f"{where}: selector does not match the pod labels")
        need(spec.get("replicas") == 3, f"{where}: replicas is not 3")
        need(dig(spec, "strategy", "rollingUpdate", "maxUnavailable") == 0, f"{where}: maxUnavailable is not 0")
        pod = dig(spec, "template", "spec") or {}
        check_pod(where, pod)
        c = dig(pod, "containers", 0) or {}
        need(dig(c, "readinessProbe", "httpGet", "path") == "/readyz", f"{where}: readiness probe is not /readyz")
        need(dig(c, "livenessProbe", "httpGet", "path") == "/healthz", f"{where}: liveness probe is not /healthz")
        pre = dig(c, "lifecycle", "preStop", "exec", "command") or []
        pause = int(pre[-1]) if pre and pre[0] == "sleep" else 0
        need(pause > 0, f"{where}: no preStop sleep")
        drain_ms = int(config.get("SHUTDOWN_DRAIN_MS", "10000"))
        grace = pod.get("terminationGracePeriodSeconds", 30)
        need(grace * 1000 > drain_ms + pause * 1000,
             f"{where}: terminationGracePeriodSeconds {grace} s not above preStop {pause} s + drain {drain_ms} ms")
    for where, d in by_kind.get("Service", []):
        ports = dig(d, "spec", "ports") or []
        need(ports and all("port" in p for p in ports), f"{where}: ports without port")
        sel = dig(d, "spec", "selector") or {}
        need(any(all(dig(dep, "spec", "template", "metadata", "labels", k) == v for k, v in sel.items())
                 for dep in deployments.values()) and sel, f"{where}: selector matches no Deployment")
    for where, d in by_kind.get("HorizontalPodAutoscaler", []):
        need(d.get("apiVersion") == "autoscaling/v2", f"{where}: not autoscaling/v2")
        ref = dig(d, "spec", "scaleTargetRef") or {}
        need(ref.get("kind") == "Deployment" and ref.get("name") in deployments, f"{where}: scaleTargetRef names no Deployment")
        need(dig(d, "spec", "maxReplicas"), f"{where}: no maxReplicas")
        need(any(dig(m, "resource", "name") == "cpu" for m in dig(d, "spec", "metrics") or []), f"{where}: no CPU metric")
    for where, d in by_kind.get("Job", []):
        pod = dig(d, "spec", "template", "spec") or {}
        need(pod.get("restartPolicy") in ("Never", "OnFailure"), f"{where}: restartPolicy must be Never or OnFailure")
        check_pod(where, pod)
        need("migrate" in str(pod) and "import" in str(pod), f"{where}: does not migrate and import")
    check_edge(by_kind, deployments)
    check_postgres_ca(folder, by_kind)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "Job", "ConfigMap", "Secret",
                 "Ingress", "NetworkPolicy"):
        need(kind in by_kind, f"k8s: no {kind}")


def pod_labels(by_kind, kind):
    return [dig(d, "spec", "template", "metadata", "labels") or {} for _, d in by_kind.get(kind, [])]


def check_edge(by_kind, deployments):
    services = {meta_name(d): d for _, d in by_kind.get("Service", [])}
    main = None
    for where, d in by_kind.get("Ingress", []):
        need(d.get("apiVersion") == "networking.k8s.io/v1", f"{where}: not networking.k8s.io/v1")
        spec = d.get("spec") or {}
        need(spec.get("ingressClassName") == "nginx", f"{where}: ingressClassName is not nginx")
        tls_hosts = set()
        for t in spec.get("tls") or []:
            need(t.get("secretName"), f"{where}: a tls entry without secretName")
            tls_hosts.update(t.get("hosts") or [])
        for rule in spec.get("rules") or []:
            need(rule.get("host") in tls_hosts, f"{where}: host {rule.get('host')} is not covered by tls")
            for path in dig(rule, "http", "paths") or []:
                if path.get("path") == "/":
                    main = (where, d)
                svc = dig(path, "backend", "service") or {}
                target = services.get(svc.get("name"))
                if need(target, f"{where}: backend Service {svc.get('name')} does not exist"):
                    port = svc.get("port") or {}
                    need(any(p.get("name") == port.get("name") if "name" in port else p.get("port") == port.get("number")
                             for p in dig(target, "spec", "ports") or []),
                         f"{where}: backend port {port} is not a port of Service {svc.get('name')}")
    if need(main, "k8s: no Ingress for the path /"):
        where, d = main
        notes = dig(d, "metadata", "annotations") or {}
        a = "nginx.ingress.kubernetes.io/"
        need(notes.get(a + "proxy-buffering") == "off", f"{where}: proxy-buffering is not off (streams)")
        for t in ("proxy-read-timeout", "proxy-send-timeout"):
            need(str(notes.get(a + t, "0")).isdigit() and int(notes.get(a + t, "0")) >= 300,
                 f"{where}: {t} under 300 s (long generations)")
        need(notes.get(a + "proxy-body-size"), f"{where}: no proxy-body-size")
        need(dig(d, "spec", "tls"), f"{where}: no tls")
        need(any(k.startswith("cert-manager.io/") for k in notes), f"{where}: no cert-manager annotation")

    api_pods = pod_labels(by_kind, "Deployment")
    job_pods = pod_labels(by_kind, "Job")
    api_policy = pg_policy = None
    for where, d in by_kind.get("NetworkPolicy", []):
        sel = dig(d, "spec", "podSelector", "matchLabels") or {}
        if any(selects(sel, labels) for labels in api_pods):
            api_policy = (where, d)
        elif sel == POSTGRES_LABELS:
            pg_policy = (where, d)
    if need(api_policy, "k8s: no NetworkPolicy selects the Deployment's pods"):
        where, d = api_policy
        need("Ingress" in (dig(d, "spec", "policyTypes") or []), f"{where}: policyTypes lacks Ingress")
        rules = dig(d, "spec", "ingress") or []
        need(rules, f"{where}: no ingress rule")
        for rule in rules:
            peers = rule.get("from") or []
            need(peers and all(dig(p, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name") == INGRESS_NAMESPACE
                               and dig(p, "podSelector", "matchLabels") == INGRESS_LABELS for p in peers),
                 f"{where}: lets in more than the ingress-nginx controller")
            ports = [p.get("port") for p in rule.get("ports") or []]
            container = [cp for dep in deployments.values()
                         for cp in dig(dep, "spec", "template", "spec", "containers", 0, "ports") or []]
            need(ports and all(any(p in (cp.get("containerPort"), cp.get("name")) for cp in container) for p in ports),
                 f"{where}: ports {ports} are not the service's container ports")
    if need(pg_policy, f"k8s: no NetworkPolicy selects PostgreSQL's pods {POSTGRES_LABELS}"):
        where, d = pg_policy
        need("Ingress" in (dig(d, "spec", "policyTypes") or []), f"{where}: policyTypes lacks Ingress")
        peers = [p for rule in dig(d, "spec", "ingress") or [] for p in rule.get("from") or []]
        need(peers, f"{where}: no peers")
        for p in peers:
            sel = dig(p, "podSelector", "matchLabels") or {}
            need(set(p) == {"podSelector"} and any(selects(sel, labels) for labels in api_pods + job_pods),
                 f"{where}: a peer that is neither the service's pods nor the migration Job's: {p}")
        for kind, pods in (("Deployment", api_pods), ("Job", job_pods)):
            need(all(any(selects(dig(p, "podSelector", "matchLabels"), labels) for p in peers) for labels in pods),
                 f"{where}: the {kind}'s pods cannot reach PostgreSQL")
        ports = [p.get("port") for rule in dig(d, "spec", "ingress") or [] for p in rule.get("ports") or []]
        need(ports == [5432], f"{where}: ports {ports}, expected 5432")


def check_postgres_ca(folder, by_kind):
    """The managed-PostgreSQL example: a CA Secret with ca.crt, mounted by
    every pod that connects, where the ConfigMap's verify-full example
    points."""
    secrets = {meta_name(d): d for _, d in by_kind.get("Secret", [])}
    ca = secrets.get("culturecare-postgres-ca")
    if not need(ca, "k8s: no Secret culturecare-postgres-ca (the managed PostgreSQL's CA)"):
        return
    need("ca.crt" in (ca.get("stringData") or ca.get("data") or {}), "k8s: Secret culturecare-postgres-ca has no ca.crt")
    paths = set()
    for where, d in by_kind.get("Deployment", []) + by_kind.get("Job", []):
        pod = dig(d, "spec", "template", "spec") or {}
        vols = [v.get("name") for v in pod.get("volumes") or []
                if dig(v, "secret", "secretName") == "culturecare-postgres-ca"]
        mounts = [m.get("mountPath") for m in dig(pod, "containers", 0, "volumeMounts") or [] if m.get("name") in vols]
        need(mounts, f"{where}: does not mount the Secret culturecare-postgres-ca")
        paths.update(mounts)
    need(len(paths) == 1, f"k8s: the PostgreSQL CA is mounted at different paths {sorted(paths)}")
    with open(os.path.join(folder, "configmap.yaml")) as f:
        text = f.read()
    need(any(f"sslmode=verify-full sslrootcert={p}/ca.crt" in text for p in paths),
         "configmap.yaml: no sslmode=verify-full example naming the mounted CA")


check_compose(sys.argv[1])
check_k8s(sys.argv[2])
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
