/**
 * The GitHub Actions workflow `mlci init --ci github` writes (.github/workflows/mlci.yml), on
 * shared state (registry in PostgreSQL, store and cache in S3). docs/ci.md shows the same text;
 * test/docs-ci.test.ts keeps the two identical and validates it with GitHub's workflow parser.
 */
export const GITHUB_WORKFLOW_PATH = '.github/workflows/mlci.yml'

export const GITHUB_WORKFLOW = `name: model
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    env:
      MLCI_REGISTRY_URL: \${{ secrets.MLCI_REGISTRY_URL }}
      MLCI_STORE_URL: s3://ml-artifacts/mlci
      AWS_ACCESS_KEY_ID: \${{ secrets.AWS_ACCESS_KEY_ID }}
      AWS_SECRET_ACCESS_KEY: \${{ secrets.AWS_SECRET_ACCESS_KEY }}
      AWS_REGION: eu-west-1
      # For an S3-compatible server (MinIO, Ceph, Swift): path-style addressing is used automatically.
      # AWS_ENDPOINT_URL: https://s3.internal.example
      MLCI_CACHE_KEY: \${{ secrets.MLCI_CACHE_KEY }}
      MLCI_STORE_READONLY: \${{ github.event_name == 'pull_request' && '1' || '' }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - uses: actions/setup-python@v5
        with:
          python-version: '3.11'
      - run: pip install -r requirements.txt
      - run: npm ci
      - name: Schema of the shared registry
        if: github.event_name == 'push'
        run: npx mlci registry migrate
      - name: Build and release
        if: github.event_name == 'push'
        run: npx mlci build --wait-for-lock
      - name: Build (pull request, read-only)
        if: github.event_name == 'pull_request'
        run: npx mlci build --skip deploy,monitor
`
