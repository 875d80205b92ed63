// Every GraphQL operation the app sends. `npm run codegen` reads this file and writes
// the matching TypeScript types to src/gql/graphql.ts.

export const MeQuery = /* GraphQL */ `
  query Me {
    me { id name role }
  }
`;

export const CustomersQuery = /* GraphQL */ `
  query Customers($query: String, $first: Int, $after: String) {
    customers(query: $query, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node { id name emails phones updatedAt }
      }
    }
  }
`;

export const CustomerQuery = /* GraphQL */ `
  query Customer($id: ID!) {
    customer(id: $id) {
      id
      createdAt
      updatedAt
      firstName
      lastName
      name
      emails
      phones
      birthDate
      locale
      addresses { line1 line2 city postcode region country }
      attributes
      identities { id type value sources firstSeen }
      traitProvenance { field value source recordId receivedAt rule }
      sourceRecords(first: 200) { id source externalId payload receivedAt observedAt }
      mergeHistory { at kind profileIds recordId rule actor }
      invalidValues { field value reason source recordId }
      tickets(first: 50) { id subject status priority createdAt updatedAt }
    }
  }
`;

export const UnmergeCustomerMutation = /* GraphQL */ `
  mutation UnmergeCustomer($id: ID!, $recordIds: [ID!]!) {
    unmergeCustomer(id: $id, recordIds: $recordIds) {
      split { id name }
      remaining { id name }
    }
  }
`;

export const SourcesQuery = /* GraphQL */ `
  query Sources {
    sources {
      name
      kind
      priority
      recordCount
      createdAt
      identifierFields { field target }
      traitFields { field target }
    }
  }
`;

export const CreateSourceMutation = /* GraphQL */ `
  mutation CreateSource($input: SourceInput!) {
    createSource(input: $input) { name kind priority recordCount }
  }
`;

export const StartIngestJobMutation = /* GraphQL */ `
  mutation StartIngestJob($source: String!, $total: Int) {
    startIngestJob(source: $source, total: $total) { id }
  }
`;

export const IngestRecordsMutation = /* GraphQL */ `
  mutation IngestRecords($source: String!, $records: [RecordInput!]!, $jobId: ID) {
    ingestRecords(source: $source, records: $records, jobId: $jobId) {
      created
      updated
      unchanged
      merged
      rejected
      rejects { index externalId reason }
    }
  }
`;

export const FinishIngestJobMutation = /* GraphQL */ `
  mutation FinishIngestJob($id: ID!) {
    finishIngestJob(id: $id) { id state processed created updated unchanged merged rejected }
  }
`;

// ---------------------------------------------------------------- help desk

// What the inbox shows of a ticket, and what ticketUpdated events carry.
const TicketSummaryFragment = /* GraphQL */ `
  fragment TicketSummary on Ticket {
  id
  subject
  status
  priority
  channel
  assigneeId
  requesterId
  requester { id name }
  createdAt
  updatedAt
  firstResponseAt
  solvedAt
  firstResponseDue
  resolutionDue
  version
  }
`;

export const TicketsQuery = /* GraphQL */ `
  query Tickets($queue: TicketQueue, $first: Int, $after: String) {
    tickets(queue: $queue, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...TicketSummary } }
    }
  }
  ${TicketSummaryFragment}
`;

export const TicketIdsQuery = /* GraphQL */ `
  query TicketIds($queue: TicketQueue, $filter: TicketFilter, $first: Int, $after: String) {
    tickets(queue: $queue, filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id createdAt } }
    }
  }
`;

export const TicketUpdatedSubscription = /* GraphQL */ `
  subscription TicketUpdated($filter: TicketUpdatedFilter) {
    ticketUpdated(filter: $filter) { ...TicketSummary }
  }
  ${TicketSummaryFragment}
`;

export const TicketQuery = /* GraphQL */ `
  query Ticket($id: ID!) {
    ticket(id: $id) {
      ...TicketSummary
      tags
      groupId
      closedAt
      mergedInto
      csat { score comment at }
      messages { id kind authorKind authorId body createdAt }
      requester {
        id
        name
        emails
        phones
        identities { id type value }
      }
    }
    agents { id name email available }
    macros { id name body setStatus setPriority addTags }
  }
  ${TicketSummaryFragment}
`;

export const ReplyToTicketMutation = /* GraphQL */ `
  mutation ReplyToTicket($id: ID!, $body: String!) {
    replyToTicket(id: $id, body: $body) { id version }
  }
`;

export const AddInternalNoteMutation = /* GraphQL */ `
  mutation AddInternalNote($id: ID!, $body: String!) {
    addInternalNote(id: $id, body: $body) { id version }
  }
`;

export const SetTicketStatusMutation = /* GraphQL */ `
  mutation SetTicketStatus($id: ID!, $status: TicketStatus!) {
    setTicketStatus(id: $id, status: $status) { id version }
  }
`;

export const SetTicketPriorityMutation = /* GraphQL */ `
  mutation SetTicketPriority($id: ID!, $priority: TicketPriority!) {
    setTicketPriority(id: $id, priority: $priority) { id version }
  }
`;

export const AssignTicketMutation = /* GraphQL */ `
  mutation AssignTicket($id: ID!, $agentId: ID) {
    assignTicket(id: $id, agentId: $agentId) { id version }
  }
`;

export const ApplyMacroMutation = /* GraphQL */ `
  mutation ApplyMacro($id: ID!, $macroId: ID!) {
    applyMacro(id: $id, macroId: $macroId) {
      ticket { id version }
      missingPlaceholders
    }
  }
`;

export const ReportPeriodQuery = /* GraphQL */ `
  query ReportPeriod($from: Time!, $to: Time!) {
    slaAttainment(from: $from, to: $to) {
      firstResponse { met total percent }
      resolution { met total percent }
    }
    csatStats(from: $from, to: $to) {
      total { count average satisfiedPercent }
    }
  }
`;

// ---------------------------------------------------------------- customer 360: commerce

export const CustomerCommerceQuery = /* GraphQL */ `
  query CustomerCommerce($id: ID!, $timelineAfter: String) {
    customer(id: $id) {
      id
      metrics {
        orderCount
        cancellationCount
        revenue { formatted }
        returns { formatted }
        averageOrderValue { formatted }
        otherCurrencies { formatted }
        firstOrderAt
        lastOrderAt
        lastSeenAt
        interactionCount
        rfm { recency frequency monetary scoredAt }
        churnRisk { score daysSinceLastOrder meanIntervalDays basis }
      }
      orders(first: 10) {
        pageInfo { hasNextPage }
        edges {
          node {
            id
            status
            channel
            placedAt
            total { formatted }
            lines { sku description quantity amount { formatted } }
          }
        }
      }
      timeline(first: 30, after: $timelineAfter) {
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            kind
            id
            at
            channel
            type
            order { id status total { formatted } }
            interaction { id }
            ticket { id subject }
          }
        }
      }
    }
  }
`;

// ---------------------------------------------------------------- segments

const SegmentSummaryFragment = /* GraphQL */ `
  fragment SegmentSummary on Segment {
  id
  name
  description
  kind
  memberCount
  createdAt
  updatedAt
  evaluatedAt
  }
`;

export const SegmentsQuery = /* GraphQL */ `
  query Segments {
    segments { ...SegmentSummary }
  }
  ${SegmentSummaryFragment}
`;

export const SegmentQuery = /* GraphQL */ `
  query Segment($id: ID!, $days: Int, $since: Time) {
    segment(id: $id) {
      ...SegmentSummary
      rule
      webhook { url lastDeliveryAt lastStatus failures }
      changes(since: $since, first: 100) { customerId kind at customer { id name } }
      sizeHistory(days: $days) { day members entered exited }
    }
  }
  ${SegmentSummaryFragment}
`;

export const SegmentRuleQuery = /* GraphQL */ `
  query SegmentRule($id: ID!) {
    segment(id: $id) {
      ...SegmentSummary
      rule
    }
  }
  ${SegmentSummaryFragment}
`;

export const SegmentMembersQuery = /* GraphQL */ `
  query SegmentMembers($id: ID!, $first: Int, $after: String) {
    segment(id: $id) {
      id
      members(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node {
            enteredAt
            customer { id name emails phones }
          }
        }
      }
    }
  }
`;

export const SegmentPreviewQuery = /* GraphQL */ `
  query SegmentPreview($rule: SegmentRuleInput!, $sample: Int) {
    segmentPreview(rule: $rule, sample: $sample) {
      count
      tookMs
      sample { id name emails }
    }
  }
`;

export const CreateSegmentMutation = /* GraphQL */ `
  mutation CreateSegment($input: SegmentInput!) {
    createSegment(input: $input) { ...SegmentSummary }
  }
  ${SegmentSummaryFragment}
`;

export const UpdateSegmentMutation = /* GraphQL */ `
  mutation UpdateSegment($id: ID!, $input: SegmentInput!) {
    updateSegment(id: $id, input: $input) { ...SegmentSummary }
  }
  ${SegmentSummaryFragment}
`;

export const DeleteSegmentMutation = /* GraphQL */ `
  mutation DeleteSegment($id: ID!) {
    deleteSegment(id: $id) { id }
  }
`;

export const RefreshSegmentMutation = /* GraphQL */ `
  mutation RefreshSegment($id: ID!) {
    refreshSegment(id: $id) { ...SegmentSummary }
  }
  ${SegmentSummaryFragment}
`;

export const ExportSegmentMutation = /* GraphQL */ `
  mutation ExportSegment($id: ID!) {
    exportSegment(id: $id) { url expiresAt }
  }
`;

export const SetSegmentWebhookMutation = /* GraphQL */ `
  mutation SetSegmentWebhook($id: ID!, $url: String!) {
    setSegmentWebhook(id: $id, url: $url) { url secret lastDeliveryAt lastStatus failures }
  }
`;

export const RemoveSegmentWebhookMutation = /* GraphQL */ `
  mutation RemoveSegmentWebhook($id: ID!) {
    removeSegmentWebhook(id: $id) { id webhook { url } }
  }
`;

/** Separate from CustomerQuery, so the 360 view still shows if segments fail. */
export const CustomerSegmentsQuery = /* GraphQL */ `
  query CustomerSegments($id: ID!) {
    customer(id: $id) {
      id
      segments { id name kind }
    }
  }
`;

// ---------------------------------------------------------------- probabilistic matching

const MatchJobFieldsFragment = /* GraphQL */ `
  fragment MatchJobFields on MatchJob {
  id
  status
  phase
  processed
  total
  pairsCompared
  autoMerged
  suggested
  startedAt
  finishedAt
  error
  }
`;

const MatchCustomerFragment = /* GraphQL */ `
  fragment MatchCustomer on Customer {
  id
  name
  firstName
  lastName
  emails
  phones
  birthDate
  addresses { line1 line2 city postcode region country }
  createdAt
  }
`;

export const MatchJobsQuery = /* GraphQL */ `
  query MatchJobs($first: Int) {
    matchJobs(first: $first) { ...MatchJobFields }
  }
  ${MatchJobFieldsFragment}
`;

export const MatchJobQuery = /* GraphQL */ `
  query MatchJob($id: ID!) {
    matchJob(id: $id) { ...MatchJobFields }
  }
  ${MatchJobFieldsFragment}
`;

export const MatchJobUpdatedSubscription = /* GraphQL */ `
  subscription MatchJobUpdated($id: ID!) {
    matchJobUpdated(id: $id) { ...MatchJobFields }
  }
  ${MatchJobFieldsFragment}
`;

export const StartMatchJobMutation = /* GraphQL */ `
  mutation StartMatchJob($input: MatchJobInput) {
    startMatchJob(input: $input) { ...MatchJobFields }
  }
  ${MatchJobFieldsFragment}
`;

export const MatchSuggestionsQuery = /* GraphQL */ `
  query MatchSuggestions($status: MatchSuggestionStatus, $first: Int, $after: String) {
    matchSuggestions(status: $status, first: $first, after: $after) {
      id
      status
      probability
      createdAt
      left { ...MatchCustomer }
      right { ...MatchCustomer }
      evidence { field left right level weight }
    }
  }
  ${MatchCustomerFragment}
`;

export const AcceptMatchSuggestionMutation = /* GraphQL */ `
  mutation AcceptMatchSuggestion($id: ID!) {
    acceptMatchSuggestion(id: $id) { id status decidedAt decidedBy }
  }
`;

export const RejectMatchSuggestionMutation = /* GraphQL */ `
  mutation RejectMatchSuggestion($id: ID!, $reason: String) {
    rejectMatchSuggestion(id: $id, reason: $reason) { id status decidedAt decidedBy reason }
  }
`;
