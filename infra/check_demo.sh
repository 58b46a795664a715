#!/usr/bin/env bash
# Smoke-check a running demo (bin/run) with curl: public site, practice sign-in, API, billing company
# switching, seeded data. Usage: infra/check_demo.sh [PORT]   (exit status 1 when a check fails)
set -uo pipefail
PORT=${1:-8000}
PW=practica-demo-2026
fail=0
tmp=$(mktemp -d)
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fail=1; }
req() { # host path [curl args...] -> prints status, body in $tmp/body
  local host=$1 path=$2; shift 2
  curl -s -o "$tmp/body" -w '%{http_code}' -H "Host: $host" "$@" "http://127.0.0.1:$PORT$path"
}
expect() { # label want got [grep]
  if [ "$2" = "$3" ] && { [ -z "${4:-}" ] || grep -q "$4" "$tmp/body"; }; then ok "$1 ($3)"; else bad "$1: got $3, want $2 ${4:+containing '$4'}"; fi
}
login() { # host jar email -> status of POST
  local host=$1 jar=$2 email=$3
  req "$host" /login/ -c "$jar" -b "$jar" >/dev/null
  local token
  token=$(grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' "$tmp/body" | sed 's/.*value="//;s/"$//')
  req "$host" /login/ -c "$jar" -b "$jar" -X POST -H "Referer: http://$host/login/" \
    --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "email=$email" \
    --data-urlencode "password=$PW" -D "$tmp/headers"
}
P=localhost:$PORT R=riverside.localhost:$PORT L=lakeside.localhost:$PORT
expect "public home" 200 "$(req $P /)"
expect "pricing" 200 "$(req $P /pricing/)" "Group"
expect "signup form" 200 "$(req $P /signup/)" "subdomain"
expect "health public" 200 "$(req $P /health/)" '"database": "ok"'
expect "health practice" 200 "$(req $R /health/)" '"database": "ok"'
expect "unknown host" 404 "$(req nobody.localhost:$PORT /)"
expect "practice login page" 200 "$(req $R /login/)" "Riverside"
expect "anonymous dashboard redirects" 302 "$(req $R /)"
expect "owner login" 302 "$(login $R $tmp/owner owner@riverside.example)"
expect "owner dashboard" 200 "$(req $R / -b $tmp/owner)" "Riverside Family Medicine"
expect "owner patients" 200 "$(req $R /patients/ -b $tmp/owner)"
expect "api me" 200 "$(req $R /api/v1/me/ -b $tmp/owner)" '"role":"owner"'
expect "api locations" 200 "$(req $R /api/v1/locations/ -b $tmp/owner)" "Main Street Clinic"
expect "api providers" 200 "$(req $R /api/v1/providers/ -b $tmp/owner)" "Rosa Patel"
expect "api patients" 200 "$(req $R '/api/v1/patients/?limit=100' -b $tmp/owner)" '"count":25'
req $R '/api/v1/staff/' -b $tmp/owner >/dev/null
for role in owner manager front_desk clinician biller; do
  grep -q "\"role\":\"$role\"" "$tmp/body" && ok "staff role $role" || bad "staff role $role missing"
done
sid=$(awk '$6 == "sessionid" {print $7}' "$tmp/owner")
expect "riverside session presented at lakeside" 404 "$(req $L / -H "Cookie: sessionid=$sid")"
expect "lakeside owner login" 302 "$(login $L $tmp/lake owner@lakeside.example)"
expect "lakeside api patients" 200 "$(req $L '/api/v1/patients/?limit=100' -b $tmp/lake)" '"count":25'
expect "company login (public)" 302 "$(login $P $tmp/co biller@summit.example)"
expect "company practices list" 200 "$(req $P /practices/ -b $tmp/co)" "Lakeside"
grep -q Riverside "$tmp/body" && ok "company sees Riverside" || bad "company list lacks Riverside"
for slug in riverside lakeside; do
  code=$(req $P /go/$slug/ -b $tmp/co -c $tmp/co -D $tmp/h)
  loc=$(grep -i '^location:' $tmp/h | tr -d '\r' | sed 's/^[Ll]ocation: //')
  path=${loc#http://$slug.localhost:$PORT}
  jar=$tmp/co-$slug
  code2=$(req $slug.localhost:$PORT "$path" -c $jar -b $jar)
  expect "company switch to $slug ($code → handoff)" 302 "$code2"
  expect "company at $slug" 200 "$(req $slug.localhost:$PORT /api/v1/me/ -b $jar)" '"role":"biller"'
done
# The revenue cycle's seed: each practice's biller has claims to work (some with scrub findings)
for slug in riverside lakeside; do
  H=$slug.localhost:$PORT
  expect "$slug biller login" 302 "$(login $H $tmp/biller-$slug biller@$slug.example)"
  expect "$slug claims list" 200 "$(req $H /claims/ -b $tmp/biller-$slug)" 'href="/claims/encounters/'
  expect "$slug charges to review" 200 "$(req $H /claims/charges/ -b $tmp/biller-$slug)"
  expect "$slug submissions" 200 "$(req $H /claims/submissions/ -b $tmp/biller-$slug)"
  # and the payers' 835s for the older ones: payments received, and a denial to work.
  expect "$slug payments received" 200 "$(req $H /remittance/ -b $tmp/biller-$slug)" '">DEMO'
  expect "$slug denials queue" 200 "$(req $H /denials/ -b $tmp/biller-$slug)" 'href="/denials/[0-9a-f]\{8\}-'
done
# Eligibility (seed_demo asked bin/run's fake clearinghouse): the desk sees coverage problems.
for slug in riverside lakeside; do
  H=$slug.localhost:$PORT
  expect "$slug front desk login" 302 "$(login $H $tmp/desk-$slug frontdesk@$slug.example)"
  expect "$slug coverage problems on the home page" 200 "$(req $H / -b $tmp/desk-$slug)" 'Coverage problems before visits'
  expect "$slug coverage problems list" 200 "$(req $H /eligibility/problems/ -b $tmp/desk-$slug)" 'class="badge eligibility-'
done
rm -rf "$tmp"
exit $fail
