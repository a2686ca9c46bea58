"""Checks deploy/Dockerfile and deploy/k8s against each other and the gateway.

Nothing here can build an image or reach a cluster; what it checks is what
would make either fail or misbehave: every manifest parses, the flagfile names
only real gateway flags, the drain timing fits the pod's grace period, the
probes ask the gRPC port, secrets arrive as the files the flags read (and
Redis' own command and probe, run against Debian's redis-server, require that
password), every container runs locked down, and the image's runtime packages
are exactly the ones owning the libraries the built gateway links against.

Run by deploy/manifests_test.sh (Bazel: //deploy:manifests_test) with
Debian's /usr/bin/python3 and python3-yaml.
"""

import os
import re
import shlex
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import yaml

ROOT = Path(os.environ.get("TEST_SRCDIR", ".")) / os.environ.get("TEST_WORKSPACE", "")
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
GATEWAY = ROOT / "server" / "gateway"
PROTO = ROOT / "proto" / "hubspot" / "crm" / "associations" / "v1" / "associations_archive.proto"

# Checks --name=value; comments and blank lines are skipped (absl's flagfile).
FLAG_LINE = re.compile(r"^--([a-z_0-9]+)=(.*)$")
# absl durations as the flagfile writes them: 5s, 1m30s, 250ms.
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
# What the gateway's shutdown adds after --shutdown_grace (gRPC's forced
# cancellation, kForcedCancelMargin in server/gateway_main.cc) plus time to exit.
EXIT_MARGIN_SECONDS = 5


def duration_seconds(text):
    parts = DURATION_PART.findall(text)
    if "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * UNIT_SECONDS[u] for n, u in parts)


def read_flagfile(path):
    flags = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = FLAG_LINE.match(line)
        if not match:
            raise ValueError(f"{path.name}:{number}: not --name=value: {line!r}")
        if match.group(1) in flags:
            raise ValueError(f"{path.name}:{number}: --{match.group(1)} given twice")
        flags[match.group(1)] = match.group(2)
    return flags


def load_documents():
    """(file name, document) for every document of every manifest."""
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                documents.append((path.name, document))
    return documents


def dockerfile_stages(text):
    """[(base, name, [(instruction, arguments)])] with continuations joined."""
    joined = re.sub(r"\\\n", " ", text)
    stages = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            match = re.fullmatch(r"(\S+) AS (\S+)", arguments.strip(), re.IGNORECASE)
            if not match:
                raise ValueError(f"FROM without a stage name: {line}")
            stages.append((match.group(1), match.group(2), []))
        else:
            stages[-1][2].append((instruction, arguments.strip()))
    return stages


class Manifests:
    """Everything parsed once, shared by the test cases."""

    flags = read_flagfile(K8S / "gateway.flags")
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents = load_documents()

    @classmethod
    def one(cls, kind, name):
        found = [d for _, d in cls.documents if d["kind"] == kind and d["metadata"]["name"] == name]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} {kind} named {name}")
        return found[0]

    @classmethod
    def gateway(cls):
        return cls.one("Deployment", "hubspot-gateway")

    @classmethod
    def gateway_container(cls):
        (container,) = cls.gateway()["spec"]["template"]["spec"]["containers"]
        return container

    @classmethod
    def mounted_file(cls, pod_spec, container, path):
        """The volume a file path lies in: (volume, key within it)."""
        for mount in container.get("volumeMounts", []):
            prefix = mount["mountPath"].rstrip("/") + "/"
            if path.startswith(prefix):
                (volume,) = [v for v in pod_spec["volumes"] if v["name"] == mount["name"]]
                return volume, path[len(prefix):]
        raise AssertionError(f"{path} is on no volume of {container['name']}")


def port_of(address):
    return int(address.rsplit(":", 1)[1])


class KustomizationTest(unittest.TestCase):
    def test_every_manifest_is_a_resource_and_every_resource_exists(self):
        listed = set(Manifests.kustomization["resources"])
        on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
        self.assertEqual(listed, on_disk)

    def test_every_document_names_its_kind(self):
        self.assertTrue(Manifests.documents)
        for name, document in Manifests.documents:
            for key in ("apiVersion", "kind"):
                self.assertIn(key, document, name)
            self.assertTrue(document["metadata"]["name"], name)

    def test_the_flagfile_is_the_configmap_the_gateway_reads_with_flagfile(self):
        (generator,) = Manifests.kustomization["configMapGenerator"]
        self.assertEqual(generator["files"], ["gateway.flags"])
        pod = Manifests.gateway()["spec"]["template"]["spec"]
        volume, key = Manifests.mounted_file(
            pod,
            Manifests.gateway_container(),
            Manifests.gateway_container()["args"][0].removeprefix("--flagfile="),
        )
        self.assertEqual(volume["configMap"]["name"], generator["name"])
        self.assertEqual(key, "gateway.flags")
        # Only the flagfile: every setting lives in one place.
        self.assertEqual(len(Manifests.gateway_container()["args"]), 1)

    def test_the_image_tag_is_the_version(self):
        (image,) = Manifests.kustomization["images"]
        self.assertEqual(image["name"], Manifests.gateway_container()["image"])
        self.assertEqual(image["newTag"], (ROOT / "VERSION").read_text().strip())


class FlagfileTest(unittest.TestCase):
    def test_every_flag_is_a_real_gateway_flag(self):
        # --helpfull lists each flag as "    --name (help...".
        helpfull = subprocess.run(
            [str(GATEWAY), "--helpfull"], capture_output=True, text=True, check=False
        )
        known = set(re.findall(r"^\s+--([a-z_0-9]+) \(", helpfull.stdout, re.MULTILINE))
        self.assertIn("drain_delay", known)
        self.assertEqual(set(Manifests.flags) - known, set())

    def test_the_grace_period_covers_the_drain(self):
        pod = Manifests.gateway()["spec"]["template"]["spec"]
        drain = duration_seconds(Manifests.flags["drain_delay"])
        grace = duration_seconds(Manifests.flags["shutdown_grace"])
        self.assertGreater(drain, 0, "without a drain delay the port closes at SIGTERM")
        self.assertGreaterEqual(
            pod["terminationGracePeriodSeconds"], drain + grace + EXIT_MARGIN_SECONDS
        )
        # The gateway drains by itself on SIGTERM: no preStop sleep.
        self.assertNotIn("lifecycle", Manifests.gateway_container())

    def test_liveness_outlasts_a_drain(self):
        # Health is NOT_SERVING (then refused) for the whole drain: the
        # liveness probe must not restart a pod that is stopping on purpose.
        probe = Manifests.gateway_container()["livenessProbe"]
        drain = duration_seconds(Manifests.flags["drain_delay"])
        grace = duration_seconds(Manifests.flags["shutdown_grace"])
        self.assertGreater(probe["periodSeconds"] * probe["failureThreshold"], drain + grace)

    def test_readiness_notices_a_drain_within_its_delay(self):
        probe = Manifests.gateway_container()["readinessProbe"]
        drain = duration_seconds(Manifests.flags["drain_delay"])
        self.assertLess(probe["periodSeconds"] * probe["failureThreshold"], drain)

    def test_replicas_share_the_budget_in_the_redis_service(self):
        deployment = Manifests.gateway()
        self.assertGreaterEqual(deployment["spec"]["replicas"], 2)
        self.assertEqual(
            int(Manifests.flags["budget_store_replicas"]), deployment["spec"]["replicas"]
        )
        match = re.fullmatch(r"redis://([a-z0-9-]+):(\d+)/\d+", Manifests.flags["budget_store"])
        self.assertIsNotNone(match, Manifests.flags["budget_store"])
        service = Manifests.one("Service", match.group(1))
        self.assertIn(int(match.group(2)), [p["port"] for p in service["spec"]["ports"]])
        redis = Manifests.one("Deployment", match.group(1))
        self.assertEqual(
            service["spec"]["selector"], redis["spec"]["template"]["metadata"]["labels"]
        )


class ProbesAndPortsTest(unittest.TestCase):
    def test_probes_ask_grpc_health_on_the_listen_port(self):
        container = Manifests.gateway_container()
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        self.assertEqual(ports["grpc"], port_of(Manifests.flags["listen"]))
        self.assertEqual(ports["metrics"], port_of(Manifests.flags["metrics_listen"]))
        for probe in ("readinessProbe", "livenessProbe"):
            self.assertEqual(container[probe]["grpc"]["port"], ports["grpc"], probe)

    def test_readiness_asks_for_the_archive_service_by_name(self):
        proto = PROTO.read_text()
        package = re.search(r"^package ([\w.]+);", proto, re.MULTILINE).group(1)
        service = re.search(r"^service (\w+) \{", proto, re.MULTILINE).group(1)
        self.assertEqual(
            Manifests.gateway_container()["readinessProbe"]["grpc"]["service"],
            f"{package}.{service}",
        )

    def test_services_select_the_pods_and_name_their_ports(self):
        for _, document in Manifests.documents:
            if document["kind"] != "Service":
                continue
            (target,) = [
                d
                for _, d in Manifests.documents
                if d["kind"] == "Deployment"
                and d["spec"]["template"]["metadata"]["labels"] == document["spec"]["selector"]
            ]
            names = {
                p["name"] for c in target["spec"]["template"]["spec"]["containers"]
                for p in c["ports"]
            }
            for port in document["spec"]["ports"]:
                self.assertIn(port["targetPort"], names, document["metadata"]["name"])

    def test_the_disruption_budget_covers_the_gateway(self):
        budget = Manifests.one("PodDisruptionBudget", "hubspot-gateway")
        self.assertEqual(
            budget["spec"]["selector"], Manifests.gateway()["spec"]["selector"]
        )
        self.assertLess(budget["spec"]["maxUnavailable"], Manifests.gateway()["spec"]["replicas"])


class SecretsTest(unittest.TestCase):
    def test_the_file_flags_read_secret_volumes(self):
        pod = Manifests.gateway()["spec"]["template"]["spec"]
        container = Manifests.gateway_container()
        for flag in ("hubspot_token_file", "budget_store_password_file"):
            volume, key = Manifests.mounted_file(pod, container, Manifests.flags[flag])
            self.assertIn("secret", volume, flag)
            self.assertIn(key, [item["path"] for item in volume["secret"]["items"]], flag)

    def test_redis_requires_the_password_the_gateway_sends(self):
        gateway_pod = Manifests.gateway()["spec"]["template"]["spec"]
        gateway_volume, _ = Manifests.mounted_file(
            gateway_pod, Manifests.gateway_container(),
            Manifests.flags["budget_store_password_file"],
        )
        redis = Manifests.one("Deployment", "hubspot-gateway-redis")
        redis_pod = redis["spec"]["template"]["spec"]
        (container,) = redis_pod["containers"]
        command = " ".join(container["command"])
        (path,) = re.findall(r"\$\(cat (\S+)\)", command)
        redis_volume, _ = Manifests.mounted_file(redis_pod, container, path)
        self.assertEqual(
            redis_volume["secret"]["secretName"], gateway_volume["secret"]["secretName"]
        )
        self.assertIn("requirepass", command)

    def test_the_redis_command_and_probe_run_a_redis_that_requires_the_password(self):
        # redis.yaml's command and readiness probe, run as written against
        # Debian's redis-server, with the pod's mounts moved to temporary
        # directories and a loopback port added.
        pod = Manifests.one("Deployment", "hubspot-gateway-redis")["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        password = "0123456789abcdef" * 4
        with tempfile.TemporaryDirectory() as scratch:
            def relocated(text):
                for mount in container["volumeMounts"]:
                    directory = Path(scratch) / mount["name"]
                    directory.mkdir(exist_ok=True)
                    text = text.replace(mount["mountPath"], str(directory))
                return text

            Path(relocated("/var/run/secrets/hubspot-gateway/redis/password")).write_text(
                password + "\n")
            with socket.socket() as probe_port:
                probe_port.bind(("127.0.0.1", 0))
                port = probe_port.getsockname()[1]
            command = [relocated(part) for part in container["command"]]
            command[-1] += f" --port {port} --bind 127.0.0.1"
            log = Path(scratch) / "redis.log"
            with log.open("w") as output:
                redis = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
            try:
                readiness = [relocated(part) for part in container["readinessProbe"]["exec"]["command"]]
                readiness[-1] = readiness[-1].replace("redis-cli", f"redis-cli -p {port}")
                deadline = time.monotonic() + 20
                while subprocess.run(readiness, capture_output=True).returncode != 0:
                    self.assertIsNone(redis.poll(), log.read_text())
                    self.assertLess(time.monotonic(), deadline, "the readiness probe never passed")
                    time.sleep(0.05)
                without = subprocess.run(["redis-cli", "-p", str(port), "ping"],
                                         capture_output=True, text=True)
                self.assertIn("NOAUTH", without.stdout + without.stderr)
                settings = subprocess.run(
                    ["redis-cli", "-p", str(port), "config", "get", "save"],
                    env={"REDISCLI_AUTH": password, "PATH": os.environ["PATH"]},
                    capture_output=True, text=True, check=True).stdout.split()
                self.assertEqual(settings, ["save"], "persistence is off")
            finally:
                redis.terminate()
                redis.wait(timeout=20)

    def test_no_secret_in_the_environment_or_arguments(self):
        for _, document in Manifests.documents:
            if document["kind"] != "Deployment":
                continue
            for container in document["spec"]["template"]["spec"]["containers"]:
                for variable in container.get("env", []):
                    self.assertNotIn("valueFrom", variable, container["name"])
                    self.assertNotRegex(variable["name"], "TOKEN|PASSWORD", container["name"])
        self.assertNotIn("HUBSPOT_ACCESS_TOKEN", (K8S / "gateway.flags").read_text())


class SecurityContextTest(unittest.TestCase):
    def test_every_pod_runs_locked_down(self):
        deployments = [d for _, d in Manifests.documents if d["kind"] == "Deployment"]
        self.assertEqual(len(deployments), 2)
        for deployment in deployments:
            name = deployment["metadata"]["name"]
            pod = deployment["spec"]["template"]["spec"]
            self.assertIs(pod["securityContext"]["runAsNonRoot"], True, name)
            self.assertGreater(pod["securityContext"]["runAsUser"], 0, name)
            self.assertIs(pod["automountServiceAccountToken"], False, name)
            for container in pod["containers"]:
                context = container["securityContext"]
                self.assertIs(context["readOnlyRootFilesystem"], True, name)
                self.assertIs(context["allowPrivilegeEscalation"], False, name)
                self.assertEqual(context["capabilities"]["drop"], ["ALL"], name)
                self.assertNotIn("add", context["capabilities"], name)
                self.assertIn("requests", container["resources"], name)
                self.assertIn("memory", container["resources"]["limits"], name)


class DockerfileTest(unittest.TestCase):
    stages = dockerfile_stages(DOCKERFILE.read_text())

    def instructions(self, stage, kind):
        return [arguments for instruction, arguments in self.stages[stage][2] if instruction == kind]

    def test_a_debian_builder_and_a_slim_runtime(self):
        self.assertEqual([(base, name) for base, name, _ in self.stages],
                         [("debian:12", "builder"), ("debian:12-slim", "runtime")])

    def test_the_builder_installs_what_install_deps_does_and_builds_for_release(self):
        runs = " ".join(self.instructions(0, "RUN"))
        self.assertIn("tools/install_deps --gateway", runs)
        self.assertRegex(runs, r"bazel build --config=release //server:gateway")
        # The release config exists (.bazelrc).
        self.assertRegex((ROOT / ".bazelrc").read_text(), r"(?m)^build:release ")

    def test_the_runtime_runs_the_binary_as_the_pods_non_root_user(self):
        (user,) = self.instructions(1, "USER")
        uid, gid = (int(part) for part in user.split(":"))
        self.assertGreater(uid, 0)
        pod = Manifests.gateway()["spec"]["template"]["spec"]["securityContext"]
        self.assertEqual((uid, gid), (pod["runAsUser"], pod["runAsGroup"]))
        (copy,) = self.instructions(1, "COPY")
        self.assertRegex(copy, r"^--from=builder \S+ (\S+)$")
        binary = copy.split()[-1]
        (entrypoint,) = self.instructions(1, "ENTRYPOINT")
        self.assertEqual(yaml.safe_load(entrypoint), [binary])

    def test_the_runtime_exposes_the_containers_ports(self):
        (expose,) = self.instructions(1, "EXPOSE")
        ports = {p["containerPort"] for p in Manifests.gateway_container()["ports"]}
        self.assertEqual({int(p) for p in expose.split()}, ports)

    def test_the_runtime_packages_are_those_owning_the_gateways_libraries(self):
        (run,) = self.instructions(1, "RUN")
        words = shlex.split(run)
        first = words.index("--no-install-recommends") + 1
        installed = set(words[first:words.index("&&", first)])
        needed = subprocess.run(["readelf", "-d", str(GATEWAY)], capture_output=True,
                                text=True, check=True).stdout
        libraries = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", needed)
        self.assertTrue(libraries)
        # One dpkg -S for all (it is slow to start); usrmerge puts each
        # library under either path.
        found = subprocess.run(
            ["dpkg", "-S"] + [f"{directory}/{library}" for library in libraries
                              for directory in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu")],
            capture_output=True, text=True, check=False,
        ).stdout.splitlines()
        owned = {line.rsplit("/", 1)[1]: line.split(":", 1)[0] for line in found}
        self.assertEqual(set(libraries) - set(owned), set())
        owners = set(owned.values())
        # https to HubSpot needs the CA bundle; nothing else beyond the libraries.
        self.assertEqual(installed, owners | {"ca-certificates"})


if __name__ == "__main__":
    unittest.main()
