// Sends a visitor's journey to Tessera with the real @rudderstack/rudder-sdk-node (gzipped
// batches to /v1/batch, originalTimestamp and sentAt), with fixed messageIds the Go test
// looks up. Exits non-zero if a delivery fails.
import Analytics from '@rudderstack/rudder-sdk-node'

const host = process.env.TESSERA_HOST
const writeKey = process.env.TESSERA_WRITE_KEY
if (!host || !writeKey) {
  console.error('set TESSERA_HOST and TESSERA_WRITE_KEY')
  process.exit(2)
}
const analytics = new Analytics(writeKey, { dataPlaneUrl: host, flushAt: 2, retryCount: 1, logLevel: 'error' })
const anon = 'rudder-anon-1'
const user = 'rudder-user-1'
analytics.page({ anonymousId: anon, name: 'Home', messageId: 'rs-1' })
analytics.track({ anonymousId: anon, event: 'Product Viewed', properties: { sku: 'SKU-4' }, messageId: 'rs-2' })
analytics.identify({ userId: user, anonymousId: anon, traits: { email: 'rudder.user@example.com' }, messageId: 'rs-3' })
analytics.track({ userId: user, event: 'Order Completed', properties: { revenue: 18 }, messageId: 'rs-4' })
analytics.track({ anonymousId: 'rudder-anon-3', event: 'Product Viewed', messageId: 'rs-5' })
try {
  await analytics.flush()
} catch (err) {
  console.error('delivery failed:', err?.message ?? err)
  process.exit(1)
}
