import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll } from 'vitest'

/**
 * The real PostgreSQL and S3 (Swift) servers started by .ci/services.sh. A missing service
 * fails the test that needs it (it is never skipped).
 */
export function sharedServices(): { pgUrl: string; s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string } } {
  const e = process.env
  const missing = ['MLCI_TEST_PG_URL', 'MLCI_TEST_S3_ENDPOINT', 'MLCI_TEST_S3_BUCKET', 'MLCI_TEST_S3_ACCESS_KEY_ID', 'MLCI_TEST_S3_SECRET_ACCESS_KEY'].filter((k) => !e[k])
  if (missing.length) throw new Error(`${missing.join(', ')} not set: start the services with \`source .ci/services.sh\` (PostgreSQL and Swift), then run the tests again.`)
  return {
    pgUrl: e.MLCI_TEST_PG_URL!,
    s3: { endpoint: e.MLCI_TEST_S3_ENDPOINT!, bucket: e.MLCI_TEST_S3_BUCKET!, region: e.MLCI_TEST_S3_REGION ?? 'us-east-1', accessKeyId: e.MLCI_TEST_S3_ACCESS_KEY_ID!, secretAccessKey: e.MLCI_TEST_S3_SECRET_ACCESS_KEY! },
  }
}

const databases: string[] = []
afterAll(async () => {
  if (!databases.length) return
  const admin = new pg.Client({ connectionString: sharedServices().pgUrl })
  await admin.connect()
  for (const db of databases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined)
  await admin.end()
})

/** A new, empty database on the test server (dropped after the file): a registry no other test sees. */
export async function freshDatabase(): Promise<string> {
  const { pgUrl } = sharedServices()
  const name = `mlci_t_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: pgUrl })
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(`PostgreSQL at MLCI_TEST_PG_URL does not answer (${(error as Error).message}): start it with \`bash .ci/services-postgres.sh\`.`)
  }
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  databases.push(name)
  const url = new URL(pgUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Env for mlci pointing at the shared store under a fresh prefix (so tests never see each other's objects). */
export function storeEnv(prefix = `t-${randomBytes(5).toString('hex')}`): Record<string, string> {
  const { s3 } = sharedServices()
  return {
    MLCI_STORE_URL: `s3://${s3.bucket}/${prefix}`,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    MLCI_CACHE_KEY: `test-signing-key-${prefix}`,
  }
}
