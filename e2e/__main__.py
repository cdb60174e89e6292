"""`make e2e`: the real stack (`sam build`, `sam deploy`) on MiniStack, a local AWS emulator, checked end to end.

MiniStack and the SAM CLI live in their own environments (`.venv-e2e`, `.venv-sam`: MiniStack pins
botocore exactly, never the project's `.venv`). The emulator listens on 127.0.0.1 only, with its
IoT listener off, and runs the functions on this machine with its own Python, so the layer is
built for this machine (x86_64 here) and that Python: the `LAYER_PLATFORM` and `LAYER_PYTHON`
build variables of `layers/sentinelle/Makefile`, not an edited file. Everything started here is
stopped by its process id, whatever happens. Work files go to `.e2e/`.

Checks: a scan invoked directly and one started by its EventBridge schedule are planned into work
units on the work queue (fan-out, the template's default; it and its dead-letter queue are FIFO),
and the worker function they trigger records incidents in the table, leaving the work queue and its
dead-letter queue empty; the alert function sends one SNS message per new incident (a campaign's
later members none, but for its follow-up), with the `severity`, `detector` and `team` attributes,
to an SQS queue subscribed to the topic; the same units run again (as a schedule past the
deduplication window sends them) send none; the API answers 403 unsigned and 200 signed (SigV4).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import boto3
import httpx
import yaml
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".e2e"
MINISTACK = ROOT / ".venv-e2e" / "bin"
SAM = ROOT / ".venv-sam" / "bin"
STACK = "sentinelle-e2e"
REGION = "us-east-1"
DEMO = ROOT / "examples" / "demo"
PAGING = {"medium", "high", "critical"}
API_ROUTES = ["GET /health", "GET /incidents", "GET /incidents/{incident_id}", "PATCH /incidents/{incident_id}",
              "GET /allowlist", "POST /allowlist", "DELETE /allowlist/{kind}/{key}", "GET /campaigns",
              "GET /campaigns/{campaign_id}", "PATCH /campaigns/{campaign_id}", "POST /campaigns/{campaign_id}/takedown"]


class Failed(Exception):
    """A check that did not hold; the message says which and what was seen."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, test: Callable[[], Any], timeout: float, every: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = test()
        if got:
            return got
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def _run(cmd: list[str], env: dict[str, str], log: Path) -> None:
    print("$", " ".join(cmd), flush=True)
    with log.open("a") as fh:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, timeout=1800)
    if proc.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise Failed(f"{cmd[0]} {cmd[1]} failed ({proc.returncode}); last lines of {log}:\n{tail}")


def start_ministack(port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, BIND_HOST="127.0.0.1", GATEWAY_PORT=str(port), MINISTACK_HOST="localhost",
               IOT_MTLS_ENABLED="0", LAMBDA_EXECUTOR="local",
               # Functions run as `python3` subprocesses: the emulator's Python 3.12 with boto3,
               # as in the Lambda runtime.
               PATH=f"{MINISTACK}{os.pathsep}{os.environ.get('PATH', '')}")
    log = (WORK / "ministack.log").open("ab")
    proc = subprocess.Popen([str(MINISTACK / "python"), "-m", "ministack"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    print(f"MiniStack pid {proc.pid} on 127.0.0.1:{port}", flush=True)

    def up() -> bool:
        if proc.poll() is not None:
            raise Failed(f"MiniStack exited ({proc.returncode}); see {WORK / 'ministack.log'}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    _wait("MiniStack to listen", up, 60, 0.5)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stops the process group this script started, by its id."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
    print(f"stopped MiniStack (pid {proc.pid})", flush=True)


def aws_env(port: int) -> dict[str, str]:
    return dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION,
                AWS_EC2_METADATA_DISABLED="true", SAM_CLI_TELEMETRY="0")


def build_and_deploy(env: dict[str, str]) -> dict[str, str]:
    log = WORK / "sam.log"
    runtime = subprocess.run([str(MINISTACK / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    build_env = dict(env, LAYER_PLATFORM=f"manylinux2014_{platform.machine()}", LAYER_PYTHON=runtime,
                     PATH=f"{SAM}{os.pathsep}{env['PATH']}")
    _run([str(SAM / "sam"), "build", "--template-file", "template.yaml", "--build-dir", str(WORK / "build"),
          "--cache-dir", str(WORK / "cache"), "--cached"], build_env, log)
    s3 = boto3.client("s3")
    bucket = "sentinelle-e2e-artifacts"
    s3.create_bucket(Bucket=bucket)
    params = {"ScamsSchedule": "rate(1 minute)", "LeaksSchedule": "rate(1 minute)",
              "ImpersonationSchedule": "rate(1 hour)", "LogLevel": "DEBUG"}
    # Non-interactive: no changeset to confirm (samconfig.toml asks for one in the default profile).
    _run([str(SAM / "sam"), "deploy", "--template-file", str(WORK / "build" / "template.yaml"),
          "--stack-name", STACK, "--s3-bucket", bucket, "--capabilities", "CAPABILITY_IAM",
          "--no-confirm-changeset", "--no-fail-on-empty-changeset", "--region", REGION,
          "--parameter-overrides", " ".join(f"{k}=\"{v}\"" for k, v in params.items())], build_env, log)
    stack = boto3.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    resources = boto3.client("cloudformation").describe_stack_resources(StackName=STACK)["StackResources"]
    print(f"stack {stack['StackStatus']} with {len(resources)} resources", flush=True)
    if not stack["StackStatus"].endswith("COMPLETE") or "ROLLBACK" in stack["StackStatus"]:
        raise Failed(f"stack is {stack['StackStatus']}")
    out = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    out.update({r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources})
    return out


def fix_worker_mapping(function: str) -> None:
    """MiniStack keeps `ScalingConfig.MaximumConcurrency` as the string a template parameter gives
    (CloudFormation converts it to the integer the resource schema asks for), and its SQS poller
    then fails to compare it: set the same value again, as an integer, through the Lambda API."""
    client = boto3.client("lambda")
    for esm in client.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
        limit = (esm.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if limit is not None:
            client.update_event_source_mapping(UUID=esm["UUID"], ScalingConfig={"MaximumConcurrency": int(limit)})


def put_config() -> None:
    """The run configuration in SSM, as on AWS: the watchlist inline. With no network here, the
    sources replay the demo's recorded platform responses, by absolute path (functions run on this
    machine); on AWS they are live sources (examples/aws/sentinelle.yaml)."""
    config = yaml.safe_load((DEMO / "sentinelle.yaml").read_text(encoding="utf-8"))
    config["watchlist"] = yaml.safe_load((DEMO / "watchlist.yaml").read_text(encoding="utf-8"))
    config["watchlist"]["people"] = [{k: v for k, v in p.items() if k != "photos"} for p in config["watchlist"]["people"]]
    for det in config["detectors"].values():
        for src in det["sources"]:
            src["path"] = str(DEMO / src["path"])
    # The demo's pictures too; the deployed functions read them with Textract, which the emulator
    # does not serve, so posts whose problem is only in a picture are not found here.
    config["recorded_media"] = {url: str(DEMO / path) for url, path in (config.get("recorded_media") or {}).items()}
    text = yaml.safe_dump(config, allow_unicode=True)
    (WORK / "sentinelle.yaml").write_text(text, encoding="utf-8")  # what `requeue` plans from
    boto3.client("ssm").put_parameter(Name="/sentinelle/config", Type="String", Tier="Advanced", Overwrite=True,
                                      Value=text)


def requeue(detector: str, queue_url: str) -> int:
    """Queue `detector`'s units as the scan does, as the next schedule past SQS's 5-minute
    deduplication window would (a fresh deduplication id, the same message groups)."""
    from sentinelle.config import load_config
    from sentinelle.runner import plan_queue

    planned = plan_queue(detector, config=load_config(str(WORK / "sentinelle.yaml")))
    for unit, keys in planned:
        boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(unit.as_message()),
                                         MessageGroupId=keys.group, MessageDeduplicationId=f"{keys.dedup}-later")
    return len(planned)


def subscribe_queue(topic_arn: str) -> str:
    """An SQS queue on the alert topic, with the access policy SNS needs to deliver to it."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="sentinelle-e2e-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    boto3.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def incidents(table: str) -> dict[str, dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    ddb = boto3.client("dynamodb")
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {i["pk"]["S"]: i for i in items if i["pk"]["S"].startswith("INC#") and i["sk"]["S"] == "INC"}


def alerting_alone(table: str, incident_ids: list[str]) -> int:
    """How many of these incidents alert even in their campaigns: a campaign's first member and the
    one that brings it to a follow-up size (sentinelle.alerting.plan, default thresholds)."""
    ddb = boto3.client("dynamodb")

    def value(namespace: str, key: str) -> str | None:
        item = ddb.get_item(TableName=table, Key={"pk": {"S": f"KV#{namespace}"}, "sk": {"S": f"K#{key}"}}).get("Item")
        return item["value"]["S"] if item else None

    alone = 0
    for iid in incident_ids:
        cid = value("campaign-member", iid)
        doc = json.loads(value("campaign", cid) or "{}") if cid else {}
        while doc.get("merged_into"):
            doc = json.loads(value("campaign", doc["merged_into"]) or "{}")
        order = [m["id"] for m in doc.get("members", [])]
        position = order.index(iid) + 1 if iid in order else 1
        alone += position == 1 or position in (3, 10, 50)
    return alone


def drain(queue_url: str, quiet: float = 20) -> list[dict[str, Any]]:
    """Every message on the queue until none has come for `quiet` seconds."""
    sqs = boto3.client("sqs")
    got: list[dict[str, Any]] = []
    last = time.monotonic()
    while time.monotonic() - last < quiet:
        page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
        for m in page.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            last = time.monotonic()
    return got


def queue_empty(url: str) -> bool:
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return all(int(v) == 0 for v in attrs["Attributes"].values())


def invoke(function: str) -> dict[str, Any]:
    resp = boto3.client("lambda").invoke(FunctionName=function, Payload=b"{}")
    body = json.loads(resp["Payload"].read() or b"null")
    if resp.get("FunctionError"):
        raise Failed(f"{function} failed: {body}")
    return body if isinstance(body, dict) else {"result": body}


def add_api_routes(api_id: str, function_arn: str) -> None:
    """The emulator does not import an HttpApi's OpenAPI body: the routes are added as the template
    declares them (every one but /health behind IAM)."""
    gw = boto3.client("apigatewayv2")
    have = {r["RouteKey"] for r in gw.get_routes(ApiId=api_id).get("Items", [])}
    integration = gw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    for key in API_ROUTES:
        if key not in have:
            gw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}",
                            AuthorizationType="NONE" if key == "GET /health" else "AWS_IAM")
    if not any(s["StageName"] == "$default" for s in gw.get_stages(ApiId=api_id).get("Items", [])):
        gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)


def check_api(port: int, api_id: str) -> None:
    url = f"http://127.0.0.1:{port}/incidents"
    headers = {"Host": f"{api_id}.execute-api.localhost:{port}"}
    unsigned = httpx.get(url, headers=headers, timeout=60)
    request = AWSRequest(method="GET", url=f"http://{api_id}.execute-api.localhost:{port}/incidents")
    SigV4Auth(Credentials("test", "test"), "execute-api", REGION).add_auth(request)
    signed = httpx.get(url, headers={**headers, **{k: v for k, v in request.headers.items() if k != "Host"}}, timeout=60)
    health = httpx.get(f"http://127.0.0.1:{port}/health", headers=headers, timeout=60)
    print(f"API: /health {health.status_code}, /incidents unsigned {unsigned.status_code}, signed {signed.status_code}")
    if unsigned.status_code != 403 or signed.status_code != 200 or health.status_code != 200:
        raise Failed(f"API: /health {health.status_code} (want 200), unsigned {unsigned.status_code} (want 403), "
                     f"signed {signed.status_code} (want 200): {signed.text[:300]}")
    if not signed.json().get("items"):
        raise Failed(f"API: no incidents listed: {signed.text[:300]}")


def main() -> int:
    for exe in (MINISTACK / "python", SAM / "sam"):
        if not exe.exists():
            print(f"{exe} is missing: run `make e2e` (it installs MiniStack and the SAM CLI apart)", file=sys.stderr)
            return 2
    WORK.mkdir(exist_ok=True)
    for log in ("ministack.log", "sam.log"):
        (WORK / log).write_text("")
    port = _free_port()
    os.environ.update(aws_env(port))
    started = time.monotonic()
    proc = start_ministack(port)
    try:
        out = build_and_deploy(dict(os.environ))
        fix_worker_mapping(out["WorkerFunction"])
        put_config()
        queue = subscribe_queue(out["AlertTopicArn"])
        table = out["IncidentTableName"]

        # A direct invoke: the scan queues its work units, the worker records incidents, one alert each.
        summary = invoke(out["ScanImpersonationFunction"])
        print("impersonation scan:", json.dumps(summary)[:300])
        if not summary.get("units_queued"):
            raise Failed(f"the scan queued no work units (fan-out): {json.dumps(summary)[:300]}")
        # Every unit run first (FIFO runs a source's units in turn), so the count is the whole scan's.
        _wait("the work queue drained by the worker", lambda: queue_empty(out["WorkQueueUrl"]), 60)
        found = _wait("impersonation incidents", lambda: {k: v for k, v in incidents(table).items()
                                                         if v.get("detector", {}).get("S") == "impersonation"}, 60)
        alerts = [m for m in drain(queue) if m.get("MessageAttributes", {}).get("detector", {}).get("Value") == "impersonation"]
        # Incidents below the watchlist's alert threshold (medium) are recorded and page no one.
        paging = [k for k, v in found.items() if json.loads(v["data"]["S"])["severity"] in PAGING]
        # A campaign's later members page no one (one follow-up at 3 members): the six copies of one
        # adviser alert twice. Members the alert function saw before the scan joined them alert alone.
        fewest = alerting_alone(table, [k.removeprefix("INC#") for k in paging])
        print(f"{len(found)} impersonation incidents, {len(paging)} of medium severity or more, {len(alerts)} alerts "
              f"({fewest} once campaigns are counted)")
        if not paging or not fewest <= len(alerts) <= len(paging):
            raise Failed(f"{len(paging)} new incidents to alert, {fewest} in campaigns, but {len(alerts)} alerts")
        for m in alerts:
            attrs = m.get("MessageAttributes", {})
            if not {"severity", "detector"} <= set(attrs):
                raise Failed(f"alert without severity/detector attributes: {attrs}")
            # The demo watchlist's `security` team owns impersonation: team subscriptions filter on this.
            if json.loads(attrs.get("team", {}).get("Value", "[]")) != ["security"]:
                raise Failed(f"impersonation alert not routed to the security team: {attrs.get('team')}")

        if not queue_empty(out["WorkDeadLetterQueueUrl"]):
            raise Failed("work units in the dead-letter queue")
        for name in ("WorkQueueUrl", "WorkDeadLetterQueueUrl"):  # message groups hold each source's limit
            attrs = boto3.client("sqs").get_queue_attributes(QueueUrl=out[name], AttributeNames=["FifoQueue"])
            if attrs["Attributes"].get("FifoQueue") != "true" or not out[name].endswith(".fifo"):
                raise Failed(f"{name} is not a FIFO queue: {out[name]} {attrs['Attributes']}")

        # The same scan again: within 5 minutes SQS keeps its units once (same deduplication ids;
        # tests/functional/test_fanout.py), so the units are also sent again as the next schedule
        # past that window sends them. They run again: nothing new, no alert.
        invoke(out["ScanImpersonationFunction"])
        requeue("impersonation", out["WorkQueueUrl"])
        _wait("the units run again", lambda: queue_empty(out["WorkQueueUrl"]), 60)
        # Only this detector's: the scams scan, on its one-minute schedule, may alert meanwhile.
        again = [m for m in drain(queue)
                 if m.get("MessageAttributes", {}).get("detector", {}).get("Value") == "impersonation"]
        if again or len(incidents(table)) < len(found):
            raise Failed(f"a repeated scan sent {len(again)} alert(s)")

        # The schedule: leaks and scams run every minute without being invoked here. The demo's leak
        # is a photographed record (Textract, not served by the emulator): the scams scan's text
        # findings show the schedule at work.
        scheduled = _wait("incidents from the scheduled scams scan",
                          lambda: [v for v in incidents(table).values() if v.get("detector", {}).get("S") == "scams"],
                          240, 10)
        print(f"scheduled scams scan recorded {len(scheduled)} incidents")

        add_api_routes(out["HttpApi"], boto3.client("lambda").get_function(
            FunctionName=out["ApiFunction"])["Configuration"]["FunctionArn"])
        check_api(port, out["HttpApi"])
    except Failed as exc:
        print(f"\nE2E FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(proc)
    print(f"\nE2E passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
