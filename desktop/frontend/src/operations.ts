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
      messages {
        id kind authorKind authorId body createdAt
        email { direction messageId from to subject attachments { name contentType size } quotedTextHidden delivery deliveryError }
        channelDelivery { channel state attempts nextAttemptAt lastError deliveredAt }
      }
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

// ---------------------------------------------------------------- management reports (issue 17)

const MoneyFieldsFragment = /* GraphQL */ `
  fragment MoneyFields on Money { amountMinor currency formatted }
`;

export const ReportsStatusQuery = /* GraphQL */ `
  query ReportsStatus {
    reportsStatus { ready loadedOrders orders customers defaultAsOf currencies countries firstOrderAt lastOrderAt error }
  }
`;

export const CustomerTrendQuery = /* GraphQL */ `
  query CustomerTrend($interval: TrendInterval!, $from: Time, $to: Time, $country: String, $currency: String, $asOf: Time) {
    customerTrend(interval: $interval, from: $from, to: $to, country: $country, currency: $currency, asOf: $asOf) {
      ready
      asOf
      currency
      interval
      churnDays
      periods {
        start
        partial
        newCustomers
        activeCustomers
        returningCustomers
        churnedCustomers
        orders
        revenue { ...MoneyFields }
        change { newCustomers returningCustomers churnedCustomers revenue }
      }
    }
  }
  ${MoneyFieldsFragment}
`;

export const CohortRetentionQuery = /* GraphQL */ `
  query CohortRetention($from: Time, $to: Time, $country: String, $currency: String, $asOf: Time) {
    cohortRetention(from: $from, to: $to, country: $country, currency: $currency, asOf: $asOf) {
      ready
      asOf
      currency
      cohorts {
        month
        customers
        revenue { ...MoneyFields }
        months { offset partial customers share }
      }
    }
  }
  ${MoneyFieldsFragment}
`;

export const RfmGridQuery = /* GraphQL */ `
  query RfmGrid($country: String, $currency: String, $asOf: Time) {
    rfmGrid(country: $country, currency: $currency, asOf: $asOf) {
      ready
      asOf
      currency
      customers
      revenue { ...MoneyFields }
      recencyBands { score min max }
      frequencyBands { score min max }
      cells { r f customers revenue { ...MoneyFields } }
    }
  }
  ${MoneyFieldsFragment}
`;

export const RfmCellQuery = /* GraphQL */ `
  query RfmCell($recency: Int!, $frequency: Int!, $country: String, $currency: String, $asOf: Time, $first: Int, $after: String) {
    rfmCell(recency: $recency, frequency: $frequency, country: $country, currency: $currency, asOf: $asOf, first: $first, after: $after) {
      ready
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name recencyDays orders lastOrderAt revenue { ...MoneyFields } } }
    }
  }
  ${MoneyFieldsFragment}
`;

export const ValueDistributionQuery = /* GraphQL */ `
  query ValueDistribution($country: String, $currency: String, $asOf: Time) {
    customerValueDistribution(country: $country, currency: $currency, asOf: $asOf) {
      ready
      currency
      customers
      total { ...MoneyFields }
      mean { ...MoneyFields }
      quantiles { q value { ...MoneyFields } }
      topDecileShare
      buckets { lower { ...MoneyFields } upper { ...MoneyFields } customers }
    }
  }
  ${MoneyFieldsFragment}
`;

export const SalesForecastQuery = /* GraphQL */ `
  query SalesForecast($currency: String, $asOf: Time, $weeks: Int) {
    salesForecast(currency: $currency, asOf: $asOf, weeks: $weeks) {
      ready
      asOf
      currency
      weeks
      level
      message
      history { start revenue { ...MoneyFields } }
      forecast { start revenue { point { ...MoneyFields } lower { ...MoneyFields } upper { ...MoneyFields } } }
    }
  }
  ${MoneyFieldsFragment}
`;

const ValueModelFieldsFragment = /* GraphQL */ `
  fragment ValueModelFields on CustomerValueModel { status message asOf currency fittedAt refitting customers }
`;

export const CustomerValueModelQuery = /* GraphQL */ `
  query CustomerValueModel($currency: String, $asOf: Time) {
    customerValueModel(currency: $currency, asOf: $asOf) { ...ValueModelFields }
  }
  ${ValueModelFieldsFragment}
`;

export const RefitCustomerValueModelMutation = /* GraphQL */ `
  mutation RefitCustomerValueModel($currency: String, $asOf: Time) {
    refitCustomerValueModel(currency: $currency, asOf: $asOf) { ...ValueModelFields }
  }
  ${ValueModelFieldsFragment}
`;

export const RankedCustomersQuery = /* GraphQL */ `
  query RankedCustomers($filter: CustomerFilter, $orderBy: CustomerOrder, $first: Int, $after: String, $asOf: Time) {
    customers(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      ranking { status message asOf days currency }
      edges {
        node {
          id
          name
          metrics {
            orderCount
            revenue { ...MoneyFields }
            lastOrderAt
            churnRisk { score basis }
          }
          predictedValue(asOf: $asOf) { status asOf expectedValue { ...MoneyFields } probabilityAlive }
        }
      }
    }
  }
  ${MoneyFieldsFragment}
`;

// Customer 360 additions: the prediction (ADMIN keys only) apart from consent and offers.
export const CustomerPredictionQuery = /* GraphQL */ `
  query CustomerPrediction($id: ID!) {
    customer(id: $id) {
      id
      predictedValue {
        status
        message
        asOf
        horizonDays
        expectedOrders
        expectedValue { formatted }
        probabilityAlive
        expectedOrderValue { formatted }
        modelFittedAt
        inputs { frequency recencyDays ageDays meanOrderValue { formatted } orders revenue { formatted } firstOrderAt }
      }
    }
  }
`;

export const CustomerConsentOffersQuery = /* GraphQL */ `
  query CustomerConsentOffers($id: ID!) {
    customer(id: $id) {
      id
      consent {
        states { channel purpose status allowed at source }
        history { id channel purpose status at source note }
      }
      recommendations(first: 5) { productId name reason kind }
    }
  }
`;

// ---------------------------------------------------------------- admin (issues 17, 18): keys, audit, webhooks, write keys, surveys

export const ApiKeysQuery = /* GraphQL */ `
  query ApiKeys {
    apiKeys { id name role prefix createdAt lastUsedAt revokedAt }
  }
`;

export const CreateApiKeyMutation = /* GraphQL */ `
  mutation CreateApiKey($name: String!, $role: Role!) {
    createApiKey(name: $name, role: $role) {
      apiKey { id name role prefix }
      key
    }
  }
`;

export const RevokeApiKeyMutation = /* GraphQL */ `
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) { id revokedAt }
  }
`;

export const AuditLogQuery = /* GraphQL */ `
  query AuditLog($first: Int, $after: String, $actor: ID, $action: String, $target: ID, $from: Time, $to: Time) {
    auditLog(first: $first, after: $after, actor: $actor, action: $action, target: $target, from: $from, to: $to) {
      entries {
        id
        at
        actor { apiKeyId name role }
        action
        targets
        change
        result
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export const WebhooksQuery = /* GraphQL */ `
  query Webhooks {
    webhooks { id url events createdAt lastDeliveryAt lastStatus failures }
  }
`;

export const CreateWebhookMutation = /* GraphQL */ `
  mutation CreateWebhook($url: String!, $events: [WebhookEvent!]!) {
    createWebhook(url: $url, events: $events) { id url events secret }
  }
`;

export const DeleteWebhookMutation = /* GraphQL */ `
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id) { id }
  }
`;

export const WriteKeysQuery = /* GraphQL */ `
  query WriteKeys($source: String!) {
    writeKeys(source: $source) { id source prefix createdAt revokedAt }
  }
`;

export const CreateWriteKeyMutation = /* GraphQL */ `
  mutation CreateWriteKey($source: String!) {
    createWriteKey(source: $source) {
      writeKey { id prefix }
      key
    }
  }
`;

export const RevokeWriteKeyMutation = /* GraphQL */ `
  mutation RevokeWriteKey($id: ID!) {
    revokeWriteKey(id: $id) { id revokedAt }
  }
`;

export const CustomerSurveysQuery = /* GraphQL */ `
  query CustomerSurveys($id: ID!) {
    customer(id: $id) {
      id
      nps { score category at }
      surveys {
        id kind trigger triggerId state reason createdAt sentAt
        answer { score category comment at }
      }
    }
  }
`;

export const HelpdeskSetupQuery = /* GraphQL */ `
  query HelpdeskSetup {
    agents { id name email groups available }
    groups { id name agentIds }
    slaPolicies {
      priority firstResponseMinutes resolutionMinutes
      businessHours { timeZone intervals { weekday start end } holidays }
    }
    macros { id name body setStatus setPriority addTags }
  }
`;

export const CreateAgentMutation = /* GraphQL */ `
  mutation CreateAgent($input: AgentInput!) {
    createAgent(input: $input) { id }
  }
`;

export const SetAgentAvailableMutation = /* GraphQL */ `
  mutation SetAgentAvailable($id: ID!, $available: Boolean!) {
    setAgentAvailable(id: $id, available: $available) { id available }
  }
`;

export const CreateGroupMutation = /* GraphQL */ `
  mutation CreateGroup($name: String!, $agentIds: [ID!]!) {
    createGroup(name: $name, agentIds: $agentIds) { id }
  }
`;

export const SetSlaPolicyMutation = /* GraphQL */ `
  mutation SetSlaPolicy($input: SlaPolicyInput!) {
    setSlaPolicy(input: $input) { priority }
  }
`;

export const CreateMacroMutation = /* GraphQL */ `
  mutation CreateMacro($input: MacroInput!) {
    createMacro(input: $input) { id }
  }
`;

// ---------------------------------------------------------------- campaigns and journeys (issue 16)

const CampaignFieldsFragment = /* GraphQL */ `
  fragment CampaignFields on Campaign {
  id
  name
  segmentId
  audience
  subject
  html
  text
  fromName
  defaults { placeholder value }
  holdoutPercent
  attributionDays
  ratePerMinute
  state
  scheduledAt
  scheduledLocal
  timeZone
  startedAt
  finishedAt
  planned
  lastError
  createdAt
  updatedAt
  }
`;

export const CampaignsQuery = /* GraphQL */ `
  query Campaigns {
    campaigns { id name segmentId state scheduledAt startedAt finishedAt planned createdAt }
  }
`;

export const CampaignQuery = /* GraphQL */ `
  query Campaign($id: ID!) {
    campaign(id: $id) { ...CampaignFields }
  }
  ${CampaignFieldsFragment}
`;

export const CampaignListStatsQuery = /* GraphQL */ `
  query CampaignListStats($id: ID!) {
    campaignReport(id: $id) { sent opened treated { converted } }
  }
`;

export const CampaignReportQuery = /* GraphQL */ `
  query CampaignReport($id: ID!) {
    campaignReport(id: $id) {
      campaign { ...CampaignFields }
      planned
      pending
      heldOut
      suppressed
      suppressedBy { reason count }
      sent
      failed
      unconfirmed
      delivered
      bounced
      complained
      opened
      clicked
      unsubscribed
      attributionFrom
      attributionTo
      treated { customers converted conversionRate revenue { amountMinor currency } }
      holdout { customers converted conversionRate revenue { amountMinor currency } }
      uplift { difference low high relative z pValue significant }
    }
  }
  ${CampaignFieldsFragment}
`;

export const PreviewCampaignQuery = /* GraphQL */ `
  query PreviewCampaign($campaign: ID!, $customer: ID!) {
    previewCampaign(campaign: $campaign, customer: $customer) { subject html text }
  }
`;

export const CreateCampaignMutation = /* GraphQL */ `
  mutation CreateCampaign($input: CampaignInput!) {
    createCampaign(input: $input) { ...CampaignFields }
  }
  ${CampaignFieldsFragment}
`;

export const UpdateCampaignMutation = /* GraphQL */ `
  mutation UpdateCampaign($id: ID!, $input: CampaignInput!) {
    updateCampaign(id: $id, input: $input) { ...CampaignFields }
  }
  ${CampaignFieldsFragment}
`;

export const SendTestCampaignMutation = /* GraphQL */ `
  mutation SendTestCampaign($campaign: ID!, $to: String!, $customer: ID) {
    sendTestCampaign(campaign: $campaign, to: $to, customer: $customer) { messageId }
  }
`;

export const ScheduleCampaignMutation = /* GraphQL */ `
  mutation ScheduleCampaign($id: ID!, $at: String!, $timeZone: String!) {
    scheduleCampaign(id: $id, at: $at, timeZone: $timeZone) { ...CampaignFields }
  }
  ${CampaignFieldsFragment}
`;

export const SendCampaignNowMutation = /* GraphQL */ `
  mutation SendCampaignNow($id: ID!) {
    sendCampaignNow(id: $id) { ...CampaignFields }
  }
  ${CampaignFieldsFragment}
`;

export const CancelCampaignMutation = /* GraphQL */ `
  mutation CancelCampaign($id: ID!) {
    cancelCampaign(id: $id) { ...CampaignFields }
  }
  ${CampaignFieldsFragment}
`;

const JourneySummaryFragment = /* GraphQL */ `
  fragment JourneySummary on Journey {
  id
  name
  status
  liveVersion
  latestVersion
  createdAt
  updatedAt
  }
`;

export const JourneysQuery = /* GraphQL */ `
  query Journeys {
    journeys { ...JourneySummary }
  }
  ${JourneySummaryFragment}
`;

export const JourneyQuery = /* GraphQL */ `
  query Journey($id: ID!) {
    journey(id: $id) {
      ...JourneySummary
      versions {
        version
        live
        createdAt
        publishedAt
        definition
        stats {
          entered
          inProgress
          done
          exited
          converted
          conversionRate
          holdout
          holdoutConverted
          holdoutConversionRate
          steps { stepId kind entered completed waiting outcomes { outcome count } }
        }
      }
    }
  }
  ${JourneySummaryFragment}
`;

export const CreateJourneyMutation = /* GraphQL */ `
  mutation CreateJourney($input: JourneyInput!) {
    createJourney(input: $input) { ...JourneySummary }
  }
  ${JourneySummaryFragment}
`;

export const PublishJourneyMutation = /* GraphQL */ `
  mutation PublishJourney($id: ID!) {
    publishJourney(id: $id) { ...JourneySummary }
  }
  ${JourneySummaryFragment}
`;

export const PauseJourneyMutation = /* GraphQL */ `
  mutation PauseJourney($id: ID!) {
    pauseJourney(id: $id) { ...JourneySummary }
  }
  ${JourneySummaryFragment}
`;

export const ArchiveJourneyMutation = /* GraphQL */ `
  mutation ArchiveJourney($id: ID!) {
    archiveJourney(id: $id) { ...JourneySummary }
  }
  ${JourneySummaryFragment}
`;

// marketing effectiveness
export const MarketingEffectivenessQuery = /* GraphQL */ `
  query MarketingEffectiveness($from: Time, $to: Time, $currency: String) {
    marketingEffectiveness(from: $from, to: $to, currency: $currency) {
      from
      to
      ready
      currency
      currencies
      totals {
        messagesSent
        conversions
        attributedRevenue { amountMinor currency }
        significantCampaigns
        significantJourneys
      }
      campaigns {
        campaignId
        name
        state
        startedAt
        planned
        sent
        delivered
        opened
        clicked
        unsubscribed
        computedAt
        treated { customers converted conversionRate revenue { amountMinor currency } revenuePerCustomer { amountMinor currency } }
        holdout { customers converted conversionRate revenue { amountMinor currency } revenuePerCustomer { amountMinor currency } }
        uplift { difference low high relative pValue significant }
      }
      journeys {
        journeyId
        name
        status
        version
        live
        entered
        inProgress
        done
        exited
        converted
        conversionRate
        holdout
        holdoutConverted
        holdoutConversionRate
        messagesSent
        computedAt
        uplift { difference low high relative pValue significant }
      }
    }
  }
`;

export const RefreshMarketingEffectivenessMutation = /* GraphQL */ `
  mutation RefreshMarketingEffectiveness {
    refreshMarketingEffectiveness
  }
`;

// admin edits
export const AdminSourceQuery = /* GraphQL */ `
  query AdminSource {
    sources {
      name
      kind
      priority
      revision
      identifierFields { field target }
      ownTraitFields { field target }
    }
  }
`;

export const UpdateSourceMutation = /* GraphQL */ `
  mutation UpdateSource($source: String!, $input: SourceUpdateInput!) {
    updateSource(source: $source, input: $input) { name kind priority revision }
  }
`;

export const UpdateAgentMutation = /* GraphQL */ `
  mutation UpdateAgent($id: ID!, $input: AgentUpdateInput!) {
    updateAgent(id: $id, input: $input) { id name email groups available }
  }
`;

export const DeleteAgentMutation = /* GraphQL */ `
  mutation DeleteAgent($id: ID!) {
    deleteAgent(id: $id) { agent { id } unassignedTickets }
  }
`;

export const UpdateGroupMutation = /* GraphQL */ `
  mutation UpdateGroup($id: ID!, $name: String!, $agentIds: [ID!]!) {
    updateGroup(id: $id, name: $name, agentIds: $agentIds) { id name agentIds }
  }
`;

export const DeleteGroupMutation = /* GraphQL */ `
  mutation DeleteGroup($id: ID!) {
    deleteGroup(id: $id) { id }
  }
`;

export const DeleteSlaPolicyMutation = /* GraphQL */ `
  mutation DeleteSlaPolicy($priority: TicketPriority!) {
    deleteSlaPolicy(priority: $priority) { priority }
  }
`;

export const UpdateMacroMutation = /* GraphQL */ `
  mutation UpdateMacro($id: ID!, $input: MacroInput!) {
    updateMacro(id: $id, input: $input) { id name body setStatus setPriority addTags }
  }
`;

export const DeleteMacroMutation = /* GraphQL */ `
  mutation DeleteMacro($id: ID!) {
    deleteMacro(id: $id) { id }
  }
`;

// product quality
export const ProductQualityQuery = /* GraphQL */ `
  query ProductQuality($by: QualityGrouping!, $orderBy: QualityOrder!, $minUnits: Int, $first: Int, $after: String) {
    productQuality(by: $by, orderBy: $orderBy, minUnits: $minUnits, first: $first, after: $after) {
      ready
      currency
      minUnits
      ticketWindowDays
      orders
      tickets
      totalCount
      rows {
        key
        sku
        name
        category
        orders
        unitsSold
        unitsReturned
        returnRate
        unmatchedReturnedUnits
        unmatchedReturns
        netRevenue { formatted }
        tickets
        ticketsPer100Orders
        ratedTickets
        averageCsat
        satisfiedShare
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export const TicketOrderQuery = /* GraphQL */ `
  query TicketOrder($id: ID!) {
    ticket(id: $id) { id orderId order { id externalId placedAt total { formatted } } }
  }
`;

export const SetTicketOrderMutation = /* GraphQL */ `
  mutation SetTicketOrder($id: ID!, $orderId: ID) {
    setTicketOrder(id: $id, orderId: $orderId) { id orderId order { id externalId placedAt total { formatted } } }
  }
`;

// RFM cell saved as a segment
export const SaveRfmCellAsSegmentMutation = /* GraphQL */ `
  mutation SaveRfmCellAsSegment($recency: Int!, $frequency: Int!, $name: String!, $country: String, $currency: String, $asOf: Time) {
    saveRfmCellAsSegment(recency: $recency, frequency: $frequency, name: $name, country: $country, currency: $currency, asOf: $asOf) {
      id
      name
      memberCount
    }
  }
`;
