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

export type FieldMappingInput = {
  field: string;
  target: string;
};

export type IngestJobState =
  | 'DONE'
  | 'RUNNING';

export type MergeKind =
  | 'MERGE'
  | 'UNMERGE';

export type MessageKind =
  | 'INTERNAL_NOTE'
  | 'PUBLIC_REPLY';

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
  /** The record as the source sent it: a flat JSON object. */
  payload: unknown;
};

export type Role =
  | 'ADMIN'
  | 'AGENT'
  | 'ANALYST'
  | 'INGEST';

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
