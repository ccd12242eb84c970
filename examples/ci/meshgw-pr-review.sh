#!/usr/bin/env bash
# Review a mesh change in a pull request, in any CI: `meshgw check` and `meshgw diff` against the
# base branch for every stack, and `pulumi preview --diff` where Pulumi credentials exist. The
# results become ONE pull-request comment, found again by a hidden marker and updated on every push.
# docs/pr-review.md explains each step; examples/ci/github/ has the same steps as a GitHub workflow.
#
# Needs: bash, git (a clone with the base revision fetched), python3 with pulumi-meshgw installed
# (`meshgw` on PATH). No cluster and no credentials for check and diff.
#
# Settings (environment):
#   MESHGW_BASE          base revision to compare with. Default: origin/$GITHUB_BASE_REF, else origin/main.
#   MESHGW_STACKS        stacks to review, space-separated. Default: every Pulumi.<stack>.yaml of the project.
#   MESHGW_PROJECT_DIR   the directory of Pulumi.yaml. Default: the current directory.
#   MESHGW_OUT           where the renders and comment.md go. Default: ./meshgw-review.
#   MESHGW_POST_COMMAND  a command that posts the comment; it gets the path of comment.md as its
#                        only argument (`:` only writes the file, for a later step to post).
#                        Default: the GitHub API (below) when GITHUB_TOKEN, GITHUB_REPOSITORY and
#                        MESHGW_PR are set, else print the comment.
#   MESHGW_PR            the pull request number, for the GitHub API poster.
#   GITHUB_API_URL       Default: https://api.github.com.
#   PULUMI_ACCESS_TOKEN  when set (and `pulumi` is on PATH), `pulumi preview --diff` runs too;
#                        MESHGW_PREVIEW=0 turns it off, MESHGW_PREVIEW=1 runs it without a token
#                        (a self-managed backend that is already logged in).
#
# Exit status: 1 when `meshgw check` found an error or a stack did not render or diff (after the
# comment is posted, so the reviewer sees why), else 0.
set -euo pipefail

MARKER='<!-- meshgw-pr-review -->'
project_dir=${MESHGW_PROJECT_DIR:-.}
out=${MESHGW_OUT:-meshgw-review}
base=${MESHGW_BASE:-origin/${GITHUB_BASE_REF:-main}}
mkdir -p "$out"
comment="$out/comment.md"

if [ -z "${MESHGW_STACKS:-}" ]; then
  MESHGW_STACKS=$(cd "$project_dir" && python3 - <<'PY'
import pathlib, yaml
project = yaml.safe_load(pathlib.Path("Pulumi.yaml").read_text()) or {}
folder = pathlib.Path(project.get("stackConfigDir") or ".")
print(" ".join(sorted(p.name[len("Pulumi."):-len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))))
PY
)
fi

preview=0
if [ "${MESHGW_PREVIEW:-}" = 1 ] || { [ -n "${PULUMI_ACCESS_TOKEN:-}" ] && [ "${MESHGW_PREVIEW:-}" != 0 ]; }; then
  command -v pulumi >/dev/null && preview=1
fi

failed=0
{
  echo "$MARKER"
  echo "## Mesh review"
  echo
  echo "Compared with \`$base\`. Stacks: ${MESHGW_STACKS:-none}."
  echo
} >"$comment"

for stack in $MESHGW_STACKS; do
  render="$out/render/$stack"
  echo "### Stack \`$stack\`" >>"$comment"
  echo >>"$comment"

  # 1. Render offline and check, as `pulumi preview` would.
  if meshgw render --stack "$stack" --project-dir "$project_dir" --out "$render" >"$out/$stack.render.txt" 2>&1; then
    status=0
    meshgw check "$render" >"$out/$stack.check.txt" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then failed=1; fi
    summary=$(tail -n 1 "$out/$stack.check.txt")
    echo "**meshgw check**: $summary" >>"$comment"
    if [ "$status" -ne 0 ] || grep -q ' warning ' "$out/$stack.check.txt"; then
      { echo; echo '```text'; grep -vxF -- "$summary" "$out/$stack.check.txt" || true; echo '```'; } >>"$comment"
    fi
  else
    failed=1
    { echo "**meshgw render failed**:"; echo; echo '```text'; cat "$out/$stack.render.txt"; echo '```'; } >>"$comment"
  fi
  echo >>"$comment"

  # 2. What changes for traffic against the base branch.
  if meshgw diff --stack "$stack" --base "$base" --project-dir "$project_dir" --format markdown \
      >"$out/$stack.diff.md" 2>"$out/$stack.diff.err"; then
    if [ -s "$out/$stack.diff.md" ]; then
      cat "$out/$stack.diff.md" >>"$comment"
    else
      echo "No change for traffic." >>"$comment"
    fi
  else
    failed=1
    { echo "**meshgw diff failed**:"; echo; echo '```text'; cat "$out/$stack.diff.err"; echo '```'; } >>"$comment"
  fi
  echo >>"$comment"

  # 3. The engine's own view, where credentials exist (never on pull requests from forks).
  if [ "$preview" = 1 ]; then
    status=0
    (cd "$project_dir" && pulumi preview --diff --non-interactive --stack "$stack") \
      >"$out/$stack.preview.txt" 2>&1 || status=$?
    {
      echo "<details><summary>pulumi preview --diff ($([ "$status" = 0 ] && echo ok || echo "failed, exit $status"))</summary>"
      echo; echo '```text'; tail -c 20000 "$out/$stack.preview.txt"; echo '```'; echo "</details>"; echo
    } >>"$comment"
  fi
done

# 4. Post or update the one comment.
post_github() {
  local api=${GITHUB_API_URL:-https://api.github.com} repo=$GITHUB_REPOSITORY pr=$MESHGW_PR
  local auth=(-H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json")
  local id
  id=$(curl -fsSL "${auth[@]}" "$api/repos/$repo/issues/$pr/comments?per_page=100" |
    MARKER="$MARKER" python3 -c 'import json, os, sys
print(next((str(c["id"]) for c in json.load(sys.stdin) if os.environ["MARKER"] in (c.get("body") or "")), ""))')
  local payload
  payload=$(python3 -c 'import json, sys; print(json.dumps({"body": open(sys.argv[1]).read()[:65000]}))' "$1")
  if [ -n "$id" ]; then
    curl -fsSL -X PATCH "${auth[@]}" "$api/repos/$repo/issues/comments/$id" -d "$payload" >/dev/null
  else
    curl -fsSL -X POST "${auth[@]}" "$api/repos/$repo/issues/$pr/comments" -d "$payload" >/dev/null
  fi
}

if [ -n "${MESHGW_POST_COMMAND:-}" ]; then
  $MESHGW_POST_COMMAND "$comment"
elif [ -n "${GITHUB_TOKEN:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ] && [ -n "${MESHGW_PR:-}" ]; then
  post_github "$comment"
else
  cat "$comment"
fi
exit "$failed"
