#!/usr/bin/env python3
"""Checks of deploy/ that run on this machine (deploy/README.md says what
cannot be checked here).

  check.py lint                    `make lint`: hadolint on the Dockerfile,
                                   yamllint and the Kubernetes schemas
                                   (kubernetes-validate, offline) on k8s/,
                                   `kubectl kustomize` when kubectl is there,
                                   `systemd-analyze verify` and its offline
                                   security score when systemd-analyze is
                                   there, and the files agreeing with each
                                   other (ports, probes, paths, users)
  check.py configs --jamscope BIN  `make test`: `jamscope config check`
                                   accepts deploy/jamscope.toml (with
                                   systemd/jamscope.env), the image's
                                   image.toml and the ConfigMap's text (with
                                   the Deployment's environment), and refuses
                                   each with an unknown key added

Tools come from the Python environment running this script
(deploy/requirements.txt). Exits non-zero on the first failing check.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

import yaml

DEPLOY = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(DEPLOY)
K8S = os.path.join(DEPLOY, "k8s")
DOCKERFILE = os.path.join(DEPLOY, "Dockerfile")
UNIT = os.path.join(DEPLOY, "systemd", "jamscope.service")
EXAMPLE_CONFIG = os.path.join(DEPLOY, "jamscope.toml")
EXAMPLE_ENV = os.path.join(DEPLOY, "systemd", "jamscope.env")
IMAGE_CONFIG = os.path.join(DEPLOY, "image.toml")
# Where the image keeps its configuration (deploy/Dockerfile's CMD).
IMAGE_CONFIG_PATH = "/etc/jamscope/jamscope.toml"
MANIFESTS = ["configmap.yaml", "deployment.yaml", "service.yaml", "pdb.yaml"]
# The binary's path in the unit, replaced by a stand-in for `verify`,
# which insists that every command exists.
UNIT_BINARY = "/usr/local/bin/jamscope"
# `systemd-analyze security` scores exposure from 0 (locked down) to 10;
# the unit scored 1.4. A change that loosens it past 2.0 fails.
UNIT_EXPOSURE_THRESHOLD = 20


def tool(name):
    """A tool of this script's Python environment (its bin/), else PATH."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.access(here, os.X_OK) else shutil.which(name)


def run(what, cmd, silent=False, **kwargs):
    """Runs a check; it fails on a non-zero exit, and with `silent` on any
    output too (a tool that warns but exits 0)."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    output = result.stdout + result.stderr
    if result.returncode != 0 or (silent and output.strip()):
        sys.exit(f"FAIL {what}: {' '.join(cmd)}\n{output}")
    print(f"ok   {what}")


def skip(what, why):
    print(f"skip {what}: {why}")


def load_yaml(name):
    with open(os.path.join(K8S, name)) as f:
        return yaml.safe_load(f)


# ---------------------------------------------------------------- lint

def lint_dockerfile():
    run("hadolint deploy/Dockerfile", [tool("hadolint"), DOCKERFILE])


def lint_manifests():
    run("yamllint deploy/k8s", [sys.executable, "-m", "yamllint", "--strict",
                                "-c", os.path.join(DEPLOY, ".yamllint"), K8S])
    run("kubernetes-validate --strict (schemas of Kubernetes 1.37, offline)",
        [tool("kubernetes-validate"), "--strict", "--quiet"] + [os.path.join(K8S, m) for m in MANIFESTS])
    if shutil.which("kubectl"):
        run("kubectl kustomize deploy/k8s (renders offline)", ["kubectl", "kustomize", K8S])
    else:
        skip("kubectl kustomize", "no kubectl")


def lint_unit():
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        skip("systemd-analyze verify", "no systemd-analyze")
        return
    with tempfile.TemporaryDirectory(prefix="jamscope-unit-") as tmp:
        stand_in = os.path.join(tmp, "jamscope")
        with open(stand_in, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(stand_in, 0o755)
        unit = os.path.join(tmp, "jamscope.service")
        with open(UNIT) as src, open(unit, "w") as dst:
            dst.write(src.read().replace(UNIT_BINARY, stand_in))
        # A value it cannot parse is only a warning on stderr, exit status 0.
        run("systemd-analyze verify deploy/systemd/jamscope.service",
            [analyze, "verify", unit], silent=True, cwd=tmp)
        run(f"systemd-analyze security --offline (exposure ≤ {UNIT_EXPOSURE_THRESHOLD / 10})",
            [analyze, "security", "--offline=yes", f"--threshold={UNIT_EXPOSURE_THRESHOLD}", unit], cwd=tmp)


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])


def agree(what, condition):
    if not condition:
        sys.exit(f"FAIL {what}")


def lint_agreement():
    """The files say the same thing: what the ConfigMap listens on is what
    the Pod and the Service expose, the probes hit the collector's own
    health paths, the paths and the user match the image's."""
    config = tomllib.loads(load_yaml("configmap.yaml")["data"]["jamscope.toml"])
    deployment, service, pdb = load_yaml("deployment.yaml"), load_yaml("service.yaml"), load_yaml("pdb.yaml")
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    agree("the ConfigMap's listeners are the container's ports",
          ports == {"otlp-http": port_of(config["http_addr"]), "otlp-grpc": port_of(config["grpc_addr"]),
                    "rum": port_of(config["rum_addr"])})
    agree("the Service targets every container port by name",
          sorted(p["targetPort"] for p in service["spec"]["ports"]) == sorted(ports))
    agree("readiness probes GET /readyz and liveness /healthz on the HTTP port",
          container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "otlp-http"}
          and container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "otlp-http"})
    labels = pod["metadata"]["labels"]
    agree("the Deployment, Service and PodDisruptionBudget select the pods' labels",
          deployment["spec"]["selector"]["matchLabels"] == labels
          and service["spec"]["selector"] == labels and pdb["spec"]["selector"]["matchLabels"] == labels)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    args = container["args"]
    agree("the collector reads the mounted ConfigMap, mounted over the image's own",
          args[args.index("--config") + 1] == mounts["config"] == IMAGE_CONFIG_PATH and args[-1] == "serve")
    agree("data_dir is the data volume", config["data_dir"] == mounts["data"])
    with open(DOCKERFILE) as f:
        dockerfile = f.read()
    image_user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.M)
    security = pod["spec"]["securityContext"]
    agree("the pod runs as the image's user",
          image_user and (security["runAsUser"], security["runAsGroup"]) == tuple(map(int, image_user.groups())))
    with open(IMAGE_CONFIG) as f:
        image_config = tomllib.loads(f.read())
    agree("the image's config is where its CMD reads it, and sets no JAMSCOPE_ variable that would win over a mounted one",
          f"COPY --chown=root:root deploy/image.toml {IMAGE_CONFIG_PATH}\n" in dockerfile
          and f'CMD ["--config", "{IMAGE_CONFIG_PATH}", "serve"]' in dockerfile
          and "JAMSCOPE_" not in "".join(l for l in dockerfile.splitlines() if l.startswith("ENV")))
    agree("alert.rules_dir is where the image puts the rules, in the image's config and the ConfigMap",
          all(f"alert-rules {c['alert']['rules_dir']}\n" in dockerfile for c in (config, image_config)))
    with open(UNIT) as f:
        unit = f.read()
    with open(EXAMPLE_CONFIG) as f:
        example = tomllib.loads(f.read())
    agree("the unit runs the example config's path and its data_dir is the unit's state directory",
          "--config /etc/jamscope/jamscope.toml serve" in unit
          and "StateDirectory=jamscope\n" in unit and example["data_dir"] == "/var/lib/jamscope")
    print("ok   deploy/ files agree (ports, probes, selectors, paths, user)")


# ---------------------------------------------------------------- configs

def env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key] = value
    return values


def deployment_env():
    """The container's environment, a placeholder for each Secret value."""
    (container,) = load_yaml("deployment.yaml")["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", f"placeholder-{e['name'].lower()}") for e in container.get("env", [])}


def config_check(jamscope, what, text, env, expect_ok=True):
    """`jamscope --config FILE config check` in an empty directory, with
    only `env` besides PATH: nothing of the caller's JAMSCOPE_* leaks in."""
    with tempfile.TemporaryDirectory(prefix="jamscope-config-") as tmp:
        path = os.path.join(tmp, "jamscope.toml")
        with open(path, "w") as f:
            f.write(text)
        result = subprocess.run([jamscope, "--config", path, "config", "check"], cwd=tmp,
                                env=dict(env, PATH=os.environ.get("PATH", "/usr/bin:/bin")),
                                capture_output=True, text=True, timeout=60)
    if (result.returncode == 0) != expect_ok:
        sys.exit(f"FAIL {what}: exit {result.returncode}\n{result.stderr}")
    print(f"ok   {what}")
    return result.stderr


def check_configs(jamscope):
    with open(EXAMPLE_CONFIG) as f:
        example = f.read()
    configmap = load_yaml("configmap.yaml")["data"]["jamscope.toml"]
    with open(IMAGE_CONFIG) as f:
        image = f.read()
    cases = [("deploy/jamscope.toml with systemd/jamscope.env", example, env_file(EXAMPLE_ENV)),
             ("the image's deploy/image.toml with JAMSCOPE_CLICKHOUSE_URL", image,
              {"JAMSCOPE_CLICKHOUSE_URL": "http://clickhouse:8123"}),
             ("the ConfigMap's jamscope.toml with the Deployment's env", configmap, deployment_env())]
    for what, text, env in cases:
        config_check(jamscope, f"config check accepts {what}", text, env)
        # The same text with a key that does not exist must be refused,
        # so the check above cannot pass by not reading the file.
        error = config_check(jamscope, f"config check refuses {what} plus an unknown key",
                             text.replace("[alert]\n", "[alert]\nno_such_key = 1\n", 1), env,
                             expect_ok=False)
        agree(f"the refusal names the unknown key ({what})", "no_such_key" in error)
    agree("every variable of the Deployment and the env file is a JAMSCOPE_ key",
          all(k.startswith("JAMSCOPE_") for k in {**env_file(EXAMPLE_ENV), **deployment_env()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("lint")
    configs = sub.add_parser("configs")
    configs.add_argument("--jamscope", required=True, help="the jamscope binary")
    args = ap.parse_args()
    if args.command == "lint":
        lint_dockerfile()
        lint_manifests()
        lint_unit()
        lint_agreement()
    else:
        jamscope = os.path.abspath(args.jamscope)
        if not os.access(jamscope, os.X_OK):
            sys.exit(f"{jamscope} not found (cargo build -p jamscope)")
        check_configs(jamscope)
    return 0


if __name__ == "__main__":
    sys.exit(main())
