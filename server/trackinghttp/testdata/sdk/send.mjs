// Sends a visitor's journey to Tessera with the real @segment/analytics-node, its host
// pointed at Tessera, and prints every message the SDK delivered (one JSON line each) for
// the Go test to look up. Exits non-zero if the SDK reports a failed delivery.
import { Analytics } from '@segment/analytics-node'

const host = process.env.TESSERA_HOST
const writeKey = process.env.TESSERA_WRITE_KEY
if (!host || !writeKey) {
  console.error('set TESSERA_HOST and TESSERA_WRITE_KEY')
  process.exit(2)
}
const analytics = new Analytics({ writeKey, host, flushAt: 3, flushInterval: 200, maxRetries: 2 })
let failed = false
analytics.on('error', (err) => {
  failed = true
  console.error('delivery failed:', err?.reason?.message ?? err)
})
analytics.on('http_request', (req) => {
  for (const m of JSON.parse(req.body).batch) {
    console.log(JSON.stringify({ type: m.type, messageId: m.messageId, userId: m.userId, anonymousId: m.anonymousId, event: m.event }))
  }
})

const anon = 'sdk-anon-1'
const user = 'sdk-user-1'
// Browsing anonymously.
analytics.page({ anonymousId: anon, name: 'Home', properties: { url: 'https://shop.example/' },
  context: { ip: '198.51.100.4', campaign: { name: 'autumn', source: 'ads', medium: 'cpc' } } })
analytics.track({ anonymousId: anon, event: 'Product Viewed', properties: { sku: 'SKU-9', price: 12.5 } })
// Signing up: the anonymous visitor becomes a known user.
analytics.identify({ userId: user, anonymousId: anon, traits: { email: 'sam.kit@example.com', name: 'Sam Kit' } })
analytics.track({ userId: user, event: 'Order Completed', properties: { orderId: 'o-1', revenue: 30, currency: 'EUR' } })
analytics.screen({ userId: user, name: 'Order Confirmation' })
analytics.group({ userId: user, groupId: 'kit-family', traits: { name: 'Kit Family' } })
// A second device, aliased to the user.
analytics.alias({ userId: user, previousId: 'sdk-anon-2' })
analytics.page({ anonymousId: 'sdk-anon-2', name: 'Pricing' })
// Someone else.
analytics.track({ anonymousId: 'sdk-anon-3', event: 'Product Viewed', properties: { sku: 'SKU-1' } })

await analytics.closeAndFlush({ timeout: 30000 })
process.exit(failed ? 1 : 0)
