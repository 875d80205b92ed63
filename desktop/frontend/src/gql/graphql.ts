/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type ActorKind =
  | 'AGENT'
  | 'CUSTOMER'
  | 'SYSTEM';

export type ChurnBasis =
  /** Two or more orders: the customer's own mean interval. */
  | 'HISTORY'
  /** No orders: score 0. */
  | 'NONE'
  /** One order: the prior mean interval (90 days). */
  | 'PRIOR';

export type ConditionOp =
  /** Case-insensitive substring. */
  | 'CONTAINS'
  | 'EQ'
  | 'EXISTS'
  | 'GT'
  | 'GTE'
  | 'IN'
  | 'LT'
  | 'LTE'
  | 'NE'
  | 'NOT_EXISTS'
  | 'NOT_IN'
  /** Case-insensitive prefix. */
  | 'STARTS_WITH';

/** Consent is read from the attribute consent_<channel> (true, yes, y, 1 = granted). */
export type ConsentConditionInput = {
  channel: string;
  granted: boolean;
};

/**
 * Counts orders (cancellations excluded), interactions (of one channel when given) or
 * tickets (in the given statuses when given), in the last withinDays days when given.
 * atMost: 0 selects customers with none.
 */
export type CountConditionInput = {
  atLeast?: number | null | undefined;
  atMost?: number | null | undefined;
  channel?: string | null | undefined;
  /** Order statuses (orders) or ticket statuses such as OPEN, PENDING, SOLVED (tickets). */
  statuses?: Array<string> | null | undefined;
  withinDays?: number | null | undefined;
};

export type FieldMappingInput = {
  /** A top-level payload field name: no dot, no leading $, no control characters, at most 128 bytes. */
  field: string;
  /** Identifiers: email, phone, customer_id, or a custom type such as loyalty_card (lowercase, not a variant of those). Traits: firstName, lastName, name, email, phone, birthDate, locale, address.line1, address.line2, address.city, address.postcode, address.region, address.country, or attributes.NAME. */
  target: string;
};

/** Has an identity of this type (and value, when given, normalised like ingest does). */
export type IdentifierConditionInput = {
  type: string;
  value?: string | null | undefined;
};

export type IngestJobState =
  | 'DONE'
  /** The server stopped while the job ran; the importer's next batch resumes it. */
  | 'INTERRUPTED'
  | 'RUNNING';

export type MatchJobInput = {
  /** Suggest only; merge nothing automatically. */
  dryRun?: boolean | null | undefined;
  /** Only customers created or changed since the last job, compared against everyone. */
  incremental?: boolean | null | undefined;
  lowerThreshold?: number | null | undefined;
  /** Only pairs where at least one side has records from this source. */
  source?: string | null | undefined;
  /** Defaults 0.9 and 0.5. */
  upperThreshold?: number | null | undefined;
};

export type MatchJobStatus =
  | 'FAILED'
  | 'RUNNING'
  | 'SUCCEEDED';

export type MatchSuggestionStatus =
  | 'ACCEPTED'
  | 'PENDING'
  | 'REJECTED';

export type MergeKind =
  | 'MERGE'
  | 'UNMERGE';

export type MessageKind =
  | 'INTERNAL_NOTE'
  | 'PUBLIC_REPLY';

export type MetricConditionInput = {
  metric: SegmentMetric;
  /** EQ, NE, GT, GTE, LT or LTE. */
  op: ConditionOp;
  value: number;
};

export type OrderStatus =
  | 'CANCELLED'
  | 'PAID'
  | 'PLACED'
  | 'REFUNDED'
  | 'SHIPPED';

export type RecordInput = {
  externalId: string;
  /** When the source saw this version; defaults to now. */
  observedAt?: string | null | undefined;
  /** The record as the source sent it: a JSON object. A list in an identifier, e-mail or phone field gives one value per element; a number that fits neither a 64-bit integer nor a double exactly is kept as a string of its digits; control characters are removed from names and traits. */
  payload: unknown;
};

export type Role =
  | 'ADMIN'
  | 'AGENT'
  | 'ANALYST'
  | 'INGEST';

export type SegmentChangeKind =
  | 'ENTERED'
  | 'EXITED';

export type SegmentInput = {
  description?: string | null | undefined;
  kind?: SegmentKind | null | undefined;
  name: string;
  rule: SegmentRuleInput;
};

export type SegmentKind =
  /** Members follow the rule as data changes. */
  | 'DYNAMIC'
  /** Members are a snapshot, changed only by refreshSegment. */
  | 'STATIC';

export type SegmentMetric =
  | 'AOV'
  | 'DAYS_SINCE_LAST_ORDER'
  | 'INTERACTIONS'
  /** Net revenue in major units of the customer's main currency. */
  | 'NET_REVENUE'
  | 'ORDERS'
  | 'RFM_FREQUENCY'
  | 'RFM_MONETARY'
  | 'RFM_RECENCY';

/**
 * A rule node: exactly one field is set. and/or/not combine rules; the others are
 * conditions. Example, "placed at least 2 orders in the last 90 days and lives in
 * Germany": {and: [{orders: {atLeast: 2, withinDays: 90}}, {trait: {field: "country", op: EQ, value: "DE"}}]}
 */
export type SegmentRuleInput = {
  and?: Array<SegmentRuleInput> | null | undefined;
  consent?: ConsentConditionInput | null | undefined;
  identifier?: IdentifierConditionInput | null | undefined;
  interactions?: CountConditionInput | null | undefined;
  metric?: MetricConditionInput | null | undefined;
  not?: SegmentRuleInput | null | undefined;
  or?: Array<SegmentRuleInput> | null | undefined;
  orders?: CountConditionInput | null | undefined;
  tickets?: CountConditionInput | null | undefined;
  trait?: TraitConditionInput | null | undefined;
};

export type SourceInput = {
  identifierFields: Array<FieldMappingInput>;
  kind: SourceKind;
  name: string;
  priority?: number | null | undefined;
  /** Defaults to mapping payload fields named like traits (firstName, email, ...). */
  traitFields?: Array<FieldMappingInput> | null | undefined;
};

export type SourceKind =
  | 'API'
  | 'CRM'
  | 'NEWSLETTER'
  | 'OTHER'
  | 'POINT_OF_SALE'
  | 'SUPPORT_DESK'
  | 'WEB_SHOP';

export type SurvivorshipRule =
  | 'FIRST_SEEN'
  | 'MOST_FREQUENT'
  | 'MOST_RECENT'
  | 'SOURCE_PRIORITY'
  | 'UNION';

export type TicketChannel =
  | 'CHAT'
  | 'EMAIL'
  | 'PHONE'
  | 'SOCIAL'
  | 'WEB_FORM';

export type TicketFilter = {
  assigneeId?: string | null | undefined;
  createdFrom?: string | null | undefined;
  createdTo?: string | null | undefined;
  groupId?: string | null | undefined;
  priorities?: Array<TicketPriority> | null | undefined;
  requesterId?: string | null | undefined;
  statuses?: Array<TicketStatus> | null | undefined;
  /** Tickets carrying all of these tags. */
  tags?: Array<string> | null | undefined;
};

export type TicketPriority =
  | 'HIGH'
  | 'LOW'
  | 'NORMAL'
  | 'URGENT';

export type TicketQueue =
  /** Every ticket, closed ones included, most recently active first. */
  | 'ALL'
  /** Every ticket still needing work, most recently active first. */
  | 'ALL_OPEN'
  /** Open tickets with a target due within the hour or overdue, earliest due first. */
  | 'BREACHING_SOON'
  /** Open tickets assigned to the caller's agent, oldest first. */
  | 'MINE'
  /** Open tickets nobody owns, oldest first. */
  | 'UNASSIGNED';

export type TicketStatus =
  | 'CLOSED'
  | 'NEW'
  | 'ON_HOLD'
  | 'OPEN'
  | 'PENDING'
  | 'SOLVED';

export type TicketUpdatedFilter = {
  assigneeId?: string | null | undefined;
  requesterId?: string | null | undefined;
  ticketId?: string | null | undefined;
};

export type TimelineKind =
  | 'INTERACTION'
  | 'ORDER'
  | 'TICKET';

/**
 * field: firstName, lastName, email, phone, birthDate, locale, city, postcode, country,
 * or attributes.<key> (key: letters, digits, underscore). email, phone, city, postcode and
 * country match if any of the customer's values does. number compares numerically
 * (attributes only).
 */
export type TraitConditionInput = {
  /** Compares an attribute with a boolean (EQ, NE). */
  bool?: boolean | null | undefined;
  field: string;
  number?: number | null | undefined;
  op: ConditionOp;
  value?: string | null | undefined;
  values?: Array<string> | null | undefined;
};

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, name: string, role: Role } };

export type CustomersQueryVariables = Exact<{
  query?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type CustomersQuery = { customers: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, name: string, emails: Array<string>, phones: Array<string>, updatedAt: string } }> } };

export type CustomerQueryVariables = Exact<{
  id: string;
}>;


export type CustomerQuery = { customer: { id: string, createdAt: string, updatedAt: string, firstName: string | null, lastName: string | null, name: string, emails: Array<string>, phones: Array<string>, birthDate: string | null, locale: string | null, attributes: unknown, addresses: Array<{ line1: string | null, line2: string | null, city: string | null, postcode: string | null, region: string | null, country: string | null }>, identities: Array<{ id: string, type: string, value: string, sources: Array<string>, firstSeen: string }>, traitProvenance: Array<{ field: string, value: unknown, source: string, recordId: string, receivedAt: string, rule: SurvivorshipRule }>, sourceRecords: Array<{ id: string, source: string, externalId: string, payload: unknown, receivedAt: string, observedAt: string }>, mergeHistory: Array<{ at: string, kind: MergeKind, profileIds: Array<string>, recordId: string | null, rule: string, actor: string }>, invalidValues: Array<{ field: string, value: string, reason: string, source: string, recordId: string }>, tickets: Array<{ id: string, subject: string, status: TicketStatus, priority: TicketPriority, createdAt: string, updatedAt: string }> } | null };

export type UnmergeCustomerMutationVariables = Exact<{
  id: string;
  recordIds: Array<string> | string;
}>;


export type UnmergeCustomerMutation = { unmergeCustomer: { split: Array<{ id: string, name: string }>, remaining: Array<{ id: string, name: string }> } };

export type SourcesQueryVariables = Exact<{ [key: string]: never; }>;


export type SourcesQuery = { sources: Array<{ name: string, kind: SourceKind, priority: number, recordCount: number, createdAt: string, identifierFields: Array<{ field: string, target: string }>, traitFields: Array<{ field: string, target: string }> }> };

export type CreateSourceMutationVariables = Exact<{
  input: SourceInput;
}>;


export type CreateSourceMutation = { createSource: { name: string, kind: SourceKind, priority: number, recordCount: number } };

export type StartIngestJobMutationVariables = Exact<{
  source: string;
  total?: number | null | undefined;
}>;


export type StartIngestJobMutation = { startIngestJob: { id: string } };

export type IngestRecordsMutationVariables = Exact<{
  source: string;
  records: Array<RecordInput> | RecordInput;
  jobId?: string | null | undefined;
}>;


export type IngestRecordsMutation = { ingestRecords: { created: number, updated: number, unchanged: number, merged: number, rejected: number, rejects: Array<{ index: number, externalId: string, reason: string }> } };

export type FinishIngestJobMutationVariables = Exact<{
  id: string;
}>;


export type FinishIngestJobMutation = { finishIngestJob: { id: string, state: IngestJobState, processed: number, created: number, updated: number, unchanged: number, merged: number, rejected: number } };

export type TicketSummaryFragment = { id: string, subject: string, status: TicketStatus, priority: TicketPriority, channel: TicketChannel, assigneeId: string | null, requesterId: string, createdAt: string, updatedAt: string, firstResponseAt: string | null, solvedAt: string | null, firstResponseDue: string | null, resolutionDue: string | null, version: number, requester: { id: string, name: string } | null };

export type TicketsQueryVariables = Exact<{
  queue?: TicketQueue | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TicketsQuery = { tickets: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, subject: string, status: TicketStatus, priority: TicketPriority, channel: TicketChannel, assigneeId: string | null, requesterId: string, createdAt: string, updatedAt: string, firstResponseAt: string | null, solvedAt: string | null, firstResponseDue: string | null, resolutionDue: string | null, version: number, requester: { id: string, name: string } | null } }> } };

export type TicketIdsQueryVariables = Exact<{
  queue?: TicketQueue | null | undefined;
  filter?: TicketFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TicketIdsQuery = { tickets: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, createdAt: string } }> } };

export type TicketUpdatedSubscriptionVariables = Exact<{
  filter?: TicketUpdatedFilter | null | undefined;
}>;


export type TicketUpdatedSubscription = { ticketUpdated: { id: string, subject: string, status: TicketStatus, priority: TicketPriority, channel: TicketChannel, assigneeId: string | null, requesterId: string, createdAt: string, updatedAt: string, firstResponseAt: string | null, solvedAt: string | null, firstResponseDue: string | null, resolutionDue: string | null, version: number, requester: { id: string, name: string } | null } };

export type TicketQueryVariables = Exact<{
  id: string;
}>;


export type TicketQuery = { ticket: { tags: Array<string>, groupId: string | null, closedAt: string | null, mergedInto: string | null, id: string, subject: string, status: TicketStatus, priority: TicketPriority, channel: TicketChannel, assigneeId: string | null, requesterId: string, createdAt: string, updatedAt: string, firstResponseAt: string | null, solvedAt: string | null, firstResponseDue: string | null, resolutionDue: string | null, version: number, csat: { score: number, comment: string | null, at: string } | null, messages: Array<{ id: string, kind: MessageKind, authorKind: ActorKind, authorId: string | null, body: string, createdAt: string }>, requester: { id: string, name: string, emails: Array<string>, phones: Array<string>, identities: Array<{ id: string, type: string, value: string }> } | null } | null, agents: Array<{ id: string, name: string, email: string, available: boolean }>, macros: Array<{ id: string, name: string, body: string, setStatus: TicketStatus | null, setPriority: TicketPriority | null, addTags: Array<string> }> };

export type ReplyToTicketMutationVariables = Exact<{
  id: string;
  body: string;
}>;


export type ReplyToTicketMutation = { replyToTicket: { id: string, version: number } };

export type AddInternalNoteMutationVariables = Exact<{
  id: string;
  body: string;
}>;


export type AddInternalNoteMutation = { addInternalNote: { id: string, version: number } };

export type SetTicketStatusMutationVariables = Exact<{
  id: string;
  status: TicketStatus;
}>;


export type SetTicketStatusMutation = { setTicketStatus: { id: string, version: number } };

export type SetTicketPriorityMutationVariables = Exact<{
  id: string;
  priority: TicketPriority;
}>;


export type SetTicketPriorityMutation = { setTicketPriority: { id: string, version: number } };

export type AssignTicketMutationVariables = Exact<{
  id: string;
  agentId?: string | null | undefined;
}>;


export type AssignTicketMutation = { assignTicket: { id: string, version: number } };

export type ApplyMacroMutationVariables = Exact<{
  id: string;
  macroId: string;
}>;


export type ApplyMacroMutation = { applyMacro: { missingPlaceholders: Array<string>, ticket: { id: string, version: number } } };

export type ReportPeriodQueryVariables = Exact<{
  from: string;
  to: string;
}>;


export type ReportPeriodQuery = { slaAttainment: { firstResponse: { met: number, total: number, percent: number | null }, resolution: { met: number, total: number, percent: number | null } }, csatStats: { total: { count: number, average: number | null, satisfiedPercent: number | null } } };

export type CustomerCommerceQueryVariables = Exact<{
  id: string;
  timelineAfter?: string | null | undefined;
}>;


export type CustomerCommerceQuery = { customer: { id: string, metrics: { orderCount: number, cancellationCount: number, firstOrderAt: string | null, lastOrderAt: string | null, lastSeenAt: string | null, interactionCount: number, revenue: { formatted: string } | null, returns: { formatted: string } | null, averageOrderValue: { formatted: string } | null, otherCurrencies: Array<{ formatted: string }>, rfm: { recency: number, frequency: number, monetary: number, scoredAt: string } | null, churnRisk: { score: number, daysSinceLastOrder: number, meanIntervalDays: number, basis: ChurnBasis } }, orders: { pageInfo: { hasNextPage: boolean }, edges: Array<{ node: { id: string, status: OrderStatus, channel: string, placedAt: string, total: { formatted: string }, lines: Array<{ sku: string, description: string | null, quantity: number, amount: { formatted: string } }> } }> }, timeline: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { kind: TimelineKind, id: string, at: string, channel: string, type: string, order: { id: string, status: OrderStatus, total: { formatted: string } } | null, interaction: { id: string } | null, ticket: { id: string, subject: string } | null } }> } } | null };

export type SegmentSummaryFragment = { id: string, name: string, description: string | null, kind: SegmentKind, memberCount: number, createdAt: string, updatedAt: string, evaluatedAt: string | null };

export type SegmentsQueryVariables = Exact<{ [key: string]: never; }>;


export type SegmentsQuery = { segments: Array<{ id: string, name: string, description: string | null, kind: SegmentKind, memberCount: number, createdAt: string, updatedAt: string, evaluatedAt: string | null }> };

export type SegmentQueryVariables = Exact<{
  id: string;
  days?: number | null | undefined;
  since?: string | null | undefined;
}>;


export type SegmentQuery = { segment: { rule: unknown, id: string, name: string, description: string | null, kind: SegmentKind, memberCount: number, createdAt: string, updatedAt: string, evaluatedAt: string | null, webhook: { url: string, lastDeliveryAt: string | null, lastStatus: string | null, failures: number } | null, changes: Array<{ customerId: string, kind: SegmentChangeKind, at: string, customer: { id: string, name: string } | null }>, sizeHistory: Array<{ day: string, members: number, entered: number, exited: number }> } | null };

export type SegmentRuleQueryVariables = Exact<{
  id: string;
}>;


export type SegmentRuleQuery = { segment: { rule: unknown, id: string, name: string, description: string | null, kind: SegmentKind, memberCount: number, createdAt: string, updatedAt: string, evaluatedAt: string | null } | null };

export type SegmentMembersQueryVariables = Exact<{
  id: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SegmentMembersQuery = { segment: { id: string, members: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { enteredAt: string, customer: { id: string, name: string, emails: Array<string>, phones: Array<string> } } }> } } | null };

export type SegmentPreviewQueryVariables = Exact<{
  rule: SegmentRuleInput;
  sample?: number | null | undefined;
}>;


export type SegmentPreviewQuery = { segmentPreview: { count: number, tookMs: number, sample: Array<{ id: string, name: string, emails: Array<string> }> } };

export type CreateSegmentMutationVariables = Exact<{
  input: SegmentInput;
}>;


export type CreateSegmentMutation = { createSegment: { id: string, name: string, description: string | null, kind: SegmentKind, memberCount: number, createdAt: string, updatedAt: string, evaluatedAt: string | null } };

export type UpdateSegmentMutationVariables = Exact<{
  id: string;
  input: SegmentInput;
}>;


export type UpdateSegmentMutation = { updateSegment: { id: string, name: string, description: string | null, kind: SegmentKind, memberCount: number, createdAt: string, updatedAt: string, evaluatedAt: string | null } };

export type DeleteSegmentMutationVariables = Exact<{
  id: string;
}>;


export type DeleteSegmentMutation = { deleteSegment: { id: string } };

export type RefreshSegmentMutationVariables = Exact<{
  id: string;
}>;


export type RefreshSegmentMutation = { refreshSegment: { id: string, name: string, description: string | null, kind: SegmentKind, memberCount: number, createdAt: string, updatedAt: string, evaluatedAt: string | null } };

export type ExportSegmentMutationVariables = Exact<{
  id: string;
}>;


export type ExportSegmentMutation = { exportSegment: { url: string, expiresAt: string } };

export type SetSegmentWebhookMutationVariables = Exact<{
  id: string;
  url: string;
}>;


export type SetSegmentWebhookMutation = { setSegmentWebhook: { url: string, secret: string | null, lastDeliveryAt: string | null, lastStatus: string | null, failures: number } };

export type RemoveSegmentWebhookMutationVariables = Exact<{
  id: string;
}>;


export type RemoveSegmentWebhookMutation = { removeSegmentWebhook: { id: string, webhook: { url: string } | null } };

export type CustomerSegmentsQueryVariables = Exact<{
  id: string;
}>;


export type CustomerSegmentsQuery = { customer: { id: string, segments: Array<{ id: string, name: string, kind: SegmentKind }> } | null };

export type MatchJobFieldsFragment = { id: string, status: MatchJobStatus, phase: string, processed: number, total: number, pairsCompared: number, autoMerged: number, suggested: number, startedAt: string, finishedAt: string | null, error: string | null };

export type MatchCustomerFragment = { id: string, name: string, firstName: string | null, lastName: string | null, emails: Array<string>, phones: Array<string>, birthDate: string | null, createdAt: string, addresses: Array<{ line1: string | null, line2: string | null, city: string | null, postcode: string | null, region: string | null, country: string | null }> };

export type MatchJobsQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type MatchJobsQuery = { matchJobs: Array<{ id: string, status: MatchJobStatus, phase: string, processed: number, total: number, pairsCompared: number, autoMerged: number, suggested: number, startedAt: string, finishedAt: string | null, error: string | null }> };

export type MatchJobQueryVariables = Exact<{
  id: string;
}>;


export type MatchJobQuery = { matchJob: { id: string, status: MatchJobStatus, phase: string, processed: number, total: number, pairsCompared: number, autoMerged: number, suggested: number, startedAt: string, finishedAt: string | null, error: string | null } | null };

export type MatchJobUpdatedSubscriptionVariables = Exact<{
  id: string;
}>;


export type MatchJobUpdatedSubscription = { matchJobUpdated: { id: string, status: MatchJobStatus, phase: string, processed: number, total: number, pairsCompared: number, autoMerged: number, suggested: number, startedAt: string, finishedAt: string | null, error: string | null } };

export type StartMatchJobMutationVariables = Exact<{
  input?: MatchJobInput | null | undefined;
}>;


export type StartMatchJobMutation = { startMatchJob: { id: string, status: MatchJobStatus, phase: string, processed: number, total: number, pairsCompared: number, autoMerged: number, suggested: number, startedAt: string, finishedAt: string | null, error: string | null } };

export type MatchSuggestionsQueryVariables = Exact<{
  status?: MatchSuggestionStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type MatchSuggestionsQuery = { matchSuggestions: Array<{ id: string, status: MatchSuggestionStatus, probability: number, createdAt: string, left: { id: string, name: string, firstName: string | null, lastName: string | null, emails: Array<string>, phones: Array<string>, birthDate: string | null, createdAt: string, addresses: Array<{ line1: string | null, line2: string | null, city: string | null, postcode: string | null, region: string | null, country: string | null }> } | null, right: { id: string, name: string, firstName: string | null, lastName: string | null, emails: Array<string>, phones: Array<string>, birthDate: string | null, createdAt: string, addresses: Array<{ line1: string | null, line2: string | null, city: string | null, postcode: string | null, region: string | null, country: string | null }> } | null, evidence: Array<{ field: string, left: string | null, right: string | null, level: string, weight: number }> }> };

export type AcceptMatchSuggestionMutationVariables = Exact<{
  id: string;
}>;


export type AcceptMatchSuggestionMutation = { acceptMatchSuggestion: { id: string, status: MatchSuggestionStatus, decidedAt: string | null, decidedBy: string | null } };

export type RejectMatchSuggestionMutationVariables = Exact<{
  id: string;
  reason?: string | null | undefined;
}>;


export type RejectMatchSuggestionMutation = { rejectMatchSuggestion: { id: string, status: MatchSuggestionStatus, decidedAt: string | null, decidedBy: string | null, reason: string | null } };
