package app

// Customer360Query is the whole Customer 360 view of one customer, as the desktop shows
// it and as ../shared/checks/perf-growth asks for it (its Q360): profile, identities,
// provenance, source records, merge history, metrics, orders with lines, the timeline,
// tickets and segments. The scale benchmark times it; the structural tests count its
// database commands.
const Customer360Query = `query($id:ID!){customer(id:$id){id name firstName lastName emails phones birthDate attributes
  addresses{city country} identities{id type value sources firstSeen} traitProvenance{field source rule}
  sourceRecords(first:10){id receivedAt} mergeHistory{at kind}
  metrics{orderCount cancellationCount revenue{formatted} averageOrderValue{amount} historicClv{amount}
    firstOrderAt lastOrderAt lastSeenAt interactionCount rfm{recency} churnRisk{score basis}}
  orders(first:10){edges{node{id status placedAt total{formatted} lines{sku quantity amount{amount}}}} pageInfo{hasNextPage}}
  timeline(first:20){edges{node{kind id at channel type}} pageInfo{hasNextPage}}
  tickets(first:10){id subject status priority createdAt}
  segments{id name memberCount}}}`
