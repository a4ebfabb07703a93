"""The demo's configuration and audit files laid out as the image reads them: /config mounted as a
ConfigMap would be, the audit file pattern rewritten to the image's relative audits/.

Usage: python3 deploy/image/demo-config.py DEMO_CONFIG_YAML CONFIG_DIR
(shared by deploy/image/cds.sh, which trains the image's archive on the demo, and
.ci/prometheus-e2e.sh, which runs the image as a node of the demo's cluster)."""
import glob
import re
import shutil
import sys

source, config_dir = sys.argv[1:]
text = open(source).read()
patterns = re.findall(r"^  - ('[^']+'|\"[^\"]+\")$", text, flags=re.M)
assert patterns, "no audit pattern in the demo's configuration"
for quoted in patterns:
    for file in glob.glob(quoted[1:-1]):
        shutil.copy(file, f"{config_dir}/audits/")
    text = text.replace(quoted, "'audits/*.yaml'")
open(f"{config_dir}/integrity-auditor.yaml", "w").write(text)
