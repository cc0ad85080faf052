#!/usr/bin/env python3
"""s3-request.py METHOD URL [BODY] — one S3 request signed with AWS SigV4 (stdlib only).

Used by .ci/services-swift.sh to create the test bucket and smoke-test Swift's s3api: curl's
own --aws-sigv4 cannot carry tempauth's `account:user` access key (it splits --user at the
first colon). Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION.
Extra headers: S3_HEADERS="Name: value" (one per line). Prints the status, then the body.
"""
import datetime, hashlib, hmac, os, sys, urllib.error, urllib.parse, urllib.request

method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else b''
key, secret = os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY']
region = os.environ.get('AWS_REGION', 'us-east-1')
u = urllib.parse.urlsplit(url)
now = datetime.datetime.now(datetime.timezone.utc)
amz_date, day = now.strftime('%Y%m%dT%H%M%SZ'), now.strftime('%Y%m%d')
payload_hash = hashlib.sha256(body).hexdigest()
headers = {'host': u.netloc, 'x-amz-date': amz_date, 'x-amz-content-sha256': payload_hash}
for line in os.environ.get('S3_HEADERS', '').splitlines():
    if ':' in line:
        name, value = line.split(':', 1)
        headers[name.strip().lower()] = value.strip()
query = '&'.join(sorted(
    f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
    for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True)))
names = sorted(headers)
canonical = '\n'.join([method, urllib.parse.quote(u.path or '/', safe='/-_.~'), query,
                       ''.join(f'{n}:{headers[n]}\n' for n in names), ';'.join(names), payload_hash])
scope = f'{day}/{region}/s3/aws4_request'
to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
k = ('AWS4' + secret).encode()
for part in (day, region, 's3', 'aws4_request'):
    k = hmac.new(k, part.encode(), hashlib.sha256).digest()
signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
headers['authorization'] = f'AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={";".join(names)}, Signature={signature}'
request = urllib.request.Request(url, data=body if method in ('PUT', 'POST') else None, method=method,
                                 headers={n: v for n, v in headers.items() if n != 'host'})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        status, text = response.status, response.read()
except urllib.error.HTTPError as error:
    status, text = error.code, error.read()
print(status)
sys.stdout.write(text.decode('utf-8', 'replace'))
