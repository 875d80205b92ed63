/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type ActorKind =
  | 'AGENT'
  | 'CUSTOMER'
  | 'SYSTEM';

export type AgentInput = {
  apiKeyId: string;
  available?: boolean | null | undefined;
  email: string;
  name: string;
};

export type AgentUpdateInput = {
  available?: boolean | null | undefined;
  email?: string | null | undefined;
  /** Group ids: the complete list of the agent's groups. */
  groups?: Array<string> | null | undefined;
  name?: string | null | undefined;
};

export type BusinessHoursInput = {
  holidays?: Array<string> | null | undefined;
  intervals: Array<BusinessIntervalInput>;
  timeZone: string;
};

export type BusinessIntervalInput = {
  end: string;
  start: string;
  weekday: number;
};

export type CampaignAudience =
  /** The segment's members when the send starts. */
  | 'FROZEN'
  /** As FROZEN, skipping those who left the segment before their message went out. */
  | 'LIVE';

export type CampaignInput = {
  /** Days after the send start in which an order counts as a conversion, 1 to 365 (default 7). */
  attributionDays?: number | null | undefined;
  audience?: CampaignAudience | null | undefined;
  /** Fallbacks of placeholders a customer has no value for. */
  defaults?: Array<PlaceholderDefaultInput> | null | undefined;
  /** Replaces the display name of the configured sender. */
  fromName?: string | null | undefined;
  /** Share of the audience kept as the holdout, 0 to 50 (default 10). */
  holdoutPercent?: number | null | undefined;
  /** Optional; every message has the text part. */
  html?: string | null | undefined;
  name: string;
  /** Messages per minute at most (absent or 0: as fast as the relay allows). */
  ratePerMinute?: number | null | undefined;
  segmentId: string;
  subject: string;
  text: string;
};

export type CampaignState =
  | 'CANCELLED'
  | 'DRAFT'
  | 'SCHEDULED'
  | 'SENDING'
  | 'SENT';

export type ChannelDeliveryState =
  | 'DELIVERED'
  | 'FAILED'
  | 'PENDING';

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

export type ConsentChannel =
  | 'EMAIL'
  | 'PHONE'
  | 'PUSH'
  | 'SMS';

/**
 * Holds when the customer's recorded consent (Customer.consent) for the channel (email,
 * sms, push, phone) and purpose (default MARKETING) is GRANTED; granted: false selects the
 * others. (The consent_<channel> attributes it read before were migrated once.)
 */
export type ConsentConditionInput = {
  channel: string;
  granted: boolean;
  purpose?: ConsentPurpose | null | undefined;
};

export type ConsentPurpose =
  | 'MARKETING'
  | 'TRANSACTIONAL';

export type ConsentStatus =
  | 'BOUNCED'
  | 'COMPLAINED'
  | 'GRANTED'
  /** Granted where double opt-in applies, not yet confirmed: not granted. */
  | 'PENDING'
  | 'WITHDRAWN';

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

export type CustomerFilter = {
  /** The `country` attribute, exactly. */
  country?: string | null | undefined;
  /** Profile currency (ISO 4217). */
  currency?: string | null | undefined;
  minOrders?: number | null | undefined;
  /** Net revenue at least this, in minor units of the customer's currency. */
  minRevenueMinor?: number | null | undefined;
  /** PREDICTED_VALUE only: the ranking is as of the start of this instant's day (default: the reports' as-of date). */
  predictionAsOf?: string | null | undefined;
  /** PREDICTED_VALUE only: the horizon in days (1 to 3650; default 90). */
  predictionDays?: number | null | undefined;
};

export type CustomerOrder =
  /** Highest churn risk first (computed now over the filtered customers). */
  | 'CHURN_RISK'
  /** Most recent order first. */
  | 'LAST_ORDER'
  /** Newest profile first (profile ids are time-ordered). */
  | 'NEWEST'
  /**
   * Highest expected value in the `filter.predictionDays` (default 90) days after the start
   * of `filter.predictionAsOf`'s day first (default: the reports' as-of date), from the
   * customer-value model of one currency (`filter.currency`, by default the one with the most
   * orders): the customers whose currency it is and who ordered before that day, as
   * `Customer.predictedValue(days, asOf: ranking.asOf)` predicts them. Served from a ranking
   * computed in the background after each fit of the model; until it is there the page is
   * empty and `ranking.status` says why (poll it). The other filters apply as for the other
   * orders. See docs/reports.md.
   */
  | 'PREDICTED_VALUE'
  /** Highest net revenue (historic CLV) first; amounts compared in minor units, whatever the currency. */
  | 'REVENUE';

/** Whether the predicted-value ranking can answer; only READY comes with customers. */
export type CustomerRankingStatus =
  /** The customer-value model of the day is being fitted. */
  | 'FITTING'
  /** The report book is loading. */
  | 'LOADING'
  /** The model is fitted; the customers are being ranked. */
  | 'RANKING'
  | 'READY'
  /** No model for this currency and day (too little data): `message` says why. */
  | 'UNAVAILABLE';

/** Delivery of an agent reply: UNCERTAIN means the relay may or may not have taken it (it is not sent again). */
export type EmailDelivery =
  | 'FAILED'
  | 'QUEUED'
  | 'SENDING'
  | 'SENT'
  | 'UNCERTAIN';

export type EmailDirection =
  | 'INBOUND'
  | 'OUTBOUND';

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

export type JourneyArmInput = {
  /** The run ends here: the control group of the conversion goal. */
  holdout?: boolean | null | undefined;
  name: string;
  next?: string | null | undefined;
  weight: number;
};

export type JourneyAttributeInput = {
  key: string;
  op: JourneyAttributeOp;
  value?: string | null | undefined;
};

export type JourneyAttributeOp =
  /** Sets the boolean attribute tag_<key> to true. */
  | 'ADD_TAG'
  /** Sets the attribute to an empty string (the newest value wins survivorship). */
  | 'REMOVE'
  /** Sets tag_<key> to false. */
  | 'REMOVE_TAG'
  | 'SET';

export type JourneyBranchInput = {
  no?: string | null | undefined;
  rule: SegmentRuleInput;
  yes?: string | null | undefined;
};

/**
 * Steps name each other by id: next is the step after (none: the run ends there); a
 * branch and a split name their ways out in their settings. A journey may not loop.
 */
export type JourneyDefinitionInput = {
  /** Conversion: an order within this many days of entering. */
  goal?: JourneyGoalInput | null | undefined;
  /** Default: NEVER. */
  reentry?: JourneyReentryInput | null | undefined;
  /** The first step (default: the first of steps). */
  start?: string | null | undefined;
  steps: Array<JourneyStepInput>;
  trigger: JourneyTriggerInput;
};

/**
 * Placeholders: customer.firstName, customer.lastName, customer.name, customer.email,
 * customer.attributes.<key>, journey.name. Sent only with consent to marketing e-mail.
 */
export type JourneyEmailInput = {
  html?: string | null | undefined;
  subject: string;
  text: string;
};

export type JourneyGoalInput = {
  orderWithinDays: number;
};

export type JourneyInput = {
  definition: JourneyDefinitionInput;
  name: string;
};

export type JourneyReentryInput = {
  afterDays?: number | null | undefined;
  mode: JourneyReentryMode;
};

export type JourneyReentryMode =
  /** Again once afterDays have passed since the last entry, when not in the journey. */
  | 'AFTER'
  /** Again whenever the trigger fires and they are not in the journey. */
  | 'ALWAYS'
  /** A customer enters once. */
  | 'NEVER';

/** Each customer takes one arm, drawn by weight from a hash of journey, version, step and customer. */
export type JourneySplitInput = {
  arms: Array<JourneyArmInput>;
};

export type JourneyStatus =
  | 'ACTIVE'
  | 'ARCHIVED'
  | 'DRAFT'
  | 'PAUSED';

/** A step: its kind's settings and no others (EXIT takes none). */
export type JourneyStepInput = {
  attribute?: JourneyAttributeInput | null | undefined;
  branch?: JourneyBranchInput | null | undefined;
  email?: JourneyEmailInput | null | undefined;
  id: string;
  kind: JourneyStepKind;
  next?: string | null | undefined;
  split?: JourneySplitInput | null | undefined;
  ticket?: JourneyTicketInput | null | undefined;
  wait?: JourneyWaitInput | null | undefined;
  webhook?: JourneyWebhookInput | null | undefined;
};

export type JourneyStepKind =
  | 'ATTRIBUTE'
  | 'BRANCH'
  | 'CREATE_TICKET'
  | 'EXIT'
  | 'SEND_EMAIL'
  | 'SPLIT'
  | 'WAIT'
  | 'WEBHOOK';

export type JourneyTicketInput = {
  body: string;
  /** low, normal, high or urgent. */
  priority?: string | null | undefined;
  subject: string;
  tags?: Array<string> | null | undefined;
};

export type JourneyTriggerInput = {
  channel?: string | null | undefined;
  kind: JourneyTriggerKind;
  segmentId?: string | null | undefined;
  type?: string | null | undefined;
};

export type JourneyTriggerKind =
  /** An interaction of a type (and channel, when given): tracked events, campaign opens... */
  | 'INTERACTION'
  | 'ORDER_PLACED'
  | 'SEGMENT_ENTERED'
  | 'SEGMENT_EXITED'
  | 'TICKET_RATED'
  | 'TICKET_SOLVED';

/** One of minutes, until or event (an interaction type; timeoutMinutes, then timeoutNext). */
export type JourneyWaitInput = {
  event?: string | null | undefined;
  minutes?: number | null | undefined;
  timeoutMinutes?: number | null | undefined;
  timeoutNext?: string | null | undefined;
  until?: string | null | undefined;
};

/**
 * POSTs {journeyId, journeyName, version, step, run, customerId, enteredAt, at} as JSON,
 * signed like segment webhooks with the journey's webhookSecret; Idempotency-Key
 * identifies the step of the run (a repeat after a failure carries the same key).
 */
export type JourneyWebhookInput = {
  url: string;
};

export type MacroInput = {
  addTags?: Array<string> | null | undefined;
  body: string;
  name: string;
  setPriority?: TicketPriority | null | undefined;
  setStatus?: TicketStatus | null | undefined;
};

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

export type ModelStatus =
  /** Not enough data: see message. */
  | 'FAILED'
  /** The first fit for this as-of day runs. */
  | 'FITTING'
  /** The report book is loading. */
  | 'LOADING'
  | 'READY';

export type NpsCategory =
  | 'DETRACTOR'
  | 'PASSIVE'
  | 'PROMOTER';

export type OrderStatus =
  | 'CANCELLED'
  /** The shop reports the order arrived (an NPS survey may follow). */
  | 'DELIVERED'
  | 'PAID'
  | 'PLACED'
  | 'REFUNDED'
  | 'SHIPPED';

export type PlaceholderDefaultInput = {
  placeholder: string;
  value: string;
};

export type PredictionStatus =
  /** The model for this as-of day is being fitted. */
  | 'FITTING'
  /** The report book is loading. */
  | 'LOADING'
  /** No order before asOf. */
  | 'NO_ORDERS'
  | 'READY'
  /** The model could not be fitted or gives no value: see message. */
  | 'UNAVAILABLE';

export type QualityGrouping =
  | 'CATEGORY'
  | 'PRODUCT';

/** Every ordering puts the weakest first. */
export type QualityOrder =
  /** Lowest average CSAT first; rows without ratings last. */
  | 'CSAT'
  /** Highest return rate first. */
  | 'RETURN_RATE'
  /** Highest net revenue first. */
  | 'REVENUE'
  /** Most tickets per 100 orders first. */
  | 'TICKET_RATE';

export type RecommendationKind =
  /** Often bought with something the customer bought. */
  | 'CO_PURCHASE'
  /** Bought by many customers (fills the list when co-purchase finds too few). */
  | 'POPULAR';

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
  /**
   * Customers chosen once, such as a report's cell (saveRfmCellAsSegment); the rule is
   * empty. Follows merges and unmerges; refreshSegment changes nothing.
   */
  | 'LIST'
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

export type SlaPolicyInput = {
  businessHours?: BusinessHoursInput | null | undefined;
  firstResponseMinutes: number;
  priority: TicketPriority;
  resolutionMinutes: number;
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

export type SourceUpdateInput = {
  /** The revision the edit was made on: CONFLICT if the source changed since. */
  expectedRevision?: number | null | undefined;
  /** Replaces the identifier mappings (at least one). */
  identifierFields?: Array<FieldMappingInput> | null | undefined;
  kind?: SourceKind | null | undefined;
  priority?: number | null | undefined;
  /** Replaces the source's own trait mappings; [] leaves the default names only. */
  traitFields?: Array<FieldMappingInput> | null | undefined;
};

export type SurveyKind =
  /** How satisfied are you (1-5). */
  | 'CSAT'
  /** How likely are you to recommend us (0-10). */
  | 'NPS';

export type SurveyState =
  | 'FAILED'
  /** Handed to the relay; no answer from it recorded (never sent again). */
  | 'SENDING'
  | 'SENT'
  /** Not sent: reason says why (consent, frequency cap, no address, no relay). */
  | 'SKIPPED';

export type SurveyTrigger =
  | 'ORDER_DELIVERED'
  | 'TICKET_SOLVED';

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
  /** A consent statement (channel: the consent channel, type: the status in lower case). */
  | 'CONSENT'
  | 'INTERACTION'
  | 'ORDER'
  /** A survey answer (channel: email, type: nps or csat). */
  | 'SURVEY'
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

export type TrendInterval =
  | 'DAY'
  | 'MONTH'
  /** ISO weeks, from Monday (UTC). */
  | 'WEEK';

export type WebhookEvent =
  /** A new profile (data: profileId). */
  | 'PROFILE_CREATED'
  /** A GDPR erasure (data: profileIds). */
  | 'PROFILE_ERASED'
  /** A profile absorbed into another (data: absorbed, survivor, rule). */
  | 'PROFILE_MERGED'
  /** An unmerge (data: from, split, remaining). */
  | 'PROFILE_SPLIT'
  /** A ticket created or changed (data: ticketId, kind, requesterId, status). */
  | 'TICKET_CHANGED';

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


export type TicketQuery = { ticket: { tags: Array<string>, groupId: string | null, closedAt: string | null, mergedInto: string | null, id: string, subject: string, status: TicketStatus, priority: TicketPriority, channel: TicketChannel, assigneeId: string | null, requesterId: string, createdAt: string, updatedAt: string, firstResponseAt: string | null, solvedAt: string | null, firstResponseDue: string | null, resolutionDue: string | null, version: number, csat: { score: number, comment: string | null, at: string } | null, messages: Array<{ id: string, kind: MessageKind, authorKind: ActorKind, authorId: string | null, body: string, createdAt: string, email: { direction: EmailDirection, messageId: string, from: string, to: string, subject: string, quotedTextHidden: boolean, delivery: EmailDelivery | null, deliveryError: string | null, attachments: Array<{ name: string, contentType: string, size: number }> } | null, channelDelivery: { channel: string, state: ChannelDeliveryState, attempts: number, nextAttemptAt: string | null, lastError: string | null, deliveredAt: string | null } | null }>, requester: { id: string, name: string, emails: Array<string>, phones: Array<string>, identities: Array<{ id: string, type: string, value: string }> } | null } | null, agents: Array<{ id: string, name: string, email: string, available: boolean }>, macros: Array<{ id: string, name: string, body: string, setStatus: TicketStatus | null, setPriority: TicketPriority | null, addTags: Array<string> }> };

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

export type MoneyFieldsFragment = { amountMinor: number, currency: string, formatted: string };

export type ReportsStatusQueryVariables = Exact<{ [key: string]: never; }>;


export type ReportsStatusQuery = { reportsStatus: { ready: boolean, loadedOrders: number, orders: number, customers: number, defaultAsOf: string, currencies: Array<string>, countries: Array<string>, firstOrderAt: string | null, lastOrderAt: string | null, error: string | null } };

export type CustomerTrendQueryVariables = Exact<{
  interval: TrendInterval;
  from?: string | null | undefined;
  to?: string | null | undefined;
  country?: string | null | undefined;
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type CustomerTrendQuery = { customerTrend: { ready: boolean, asOf: string, currency: string | null, interval: TrendInterval, churnDays: number, periods: Array<{ start: string, partial: boolean, newCustomers: number, activeCustomers: number, returningCustomers: number, churnedCustomers: number, orders: number, revenue: { amountMinor: number, currency: string, formatted: string } | null, change: { newCustomers: number | null, returningCustomers: number | null, churnedCustomers: number | null, revenue: number | null } }> } };

export type CohortRetentionQueryVariables = Exact<{
  from?: string | null | undefined;
  to?: string | null | undefined;
  country?: string | null | undefined;
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type CohortRetentionQuery = { cohortRetention: { ready: boolean, asOf: string, currency: string | null, cohorts: Array<{ month: string, customers: number, revenue: { amountMinor: number, currency: string, formatted: string } | null, months: Array<{ offset: number, partial: boolean, customers: number, share: number }> }> } };

export type RfmGridQueryVariables = Exact<{
  country?: string | null | undefined;
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type RfmGridQuery = { rfmGrid: { ready: boolean, asOf: string, currency: string | null, customers: number, revenue: { amountMinor: number, currency: string, formatted: string } | null, recencyBands: Array<{ score: number, min: number, max: number | null }>, frequencyBands: Array<{ score: number, min: number, max: number | null }>, cells: Array<{ r: number, f: number, customers: number, revenue: { amountMinor: number, currency: string, formatted: string } | null }> } };

export type RfmCellQueryVariables = Exact<{
  recency: number;
  frequency: number;
  country?: string | null | undefined;
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type RfmCellQuery = { rfmCell: { ready: boolean, totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string | null, recencyDays: number, orders: number, lastOrderAt: string, revenue: { amountMinor: number, currency: string, formatted: string } | null } }> } };

export type ValueDistributionQueryVariables = Exact<{
  country?: string | null | undefined;
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type ValueDistributionQuery = { customerValueDistribution: { ready: boolean, currency: string | null, customers: number, topDecileShare: number | null, total: { amountMinor: number, currency: string, formatted: string } | null, mean: { amountMinor: number, currency: string, formatted: string } | null, quantiles: Array<{ q: number, value: { amountMinor: number, currency: string, formatted: string } }>, buckets: Array<{ customers: number, lower: { amountMinor: number, currency: string, formatted: string } | null, upper: { amountMinor: number, currency: string, formatted: string } | null }> } };

export type SalesForecastQueryVariables = Exact<{
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
  weeks?: number | null | undefined;
}>;


export type SalesForecastQuery = { salesForecast: { ready: boolean, asOf: string, currency: string | null, weeks: number, level: number, message: string | null, history: Array<{ start: string, revenue: { amountMinor: number, currency: string, formatted: string } }>, forecast: Array<{ start: string, revenue: { point: { amountMinor: number, currency: string, formatted: string }, lower: { amountMinor: number, currency: string, formatted: string }, upper: { amountMinor: number, currency: string, formatted: string } } }> } };

export type ValueModelFieldsFragment = { status: ModelStatus, message: string | null, asOf: string, currency: string | null, fittedAt: string | null, refitting: boolean, customers: number };

export type CustomerValueModelQueryVariables = Exact<{
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type CustomerValueModelQuery = { customerValueModel: { status: ModelStatus, message: string | null, asOf: string, currency: string | null, fittedAt: string | null, refitting: boolean, customers: number } };

export type RefitCustomerValueModelMutationVariables = Exact<{
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type RefitCustomerValueModelMutation = { refitCustomerValueModel: { status: ModelStatus, message: string | null, asOf: string, currency: string | null, fittedAt: string | null, refitting: boolean, customers: number } };

export type RankedCustomersQueryVariables = Exact<{
  filter?: CustomerFilter | null | undefined;
  orderBy?: CustomerOrder | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type RankedCustomersQuery = { customers: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, ranking: { status: CustomerRankingStatus, message: string | null, asOf: string, days: number, currency: string | null } | null, edges: Array<{ node: { id: string, name: string, metrics: { orderCount: number, lastOrderAt: string | null, revenue: { amountMinor: number, currency: string, formatted: string } | null, churnRisk: { score: number, basis: ChurnBasis } }, predictedValue: { status: PredictionStatus, asOf: string, probabilityAlive: number | null, expectedValue: { amountMinor: number, currency: string, formatted: string } | null } } }> } };

export type CustomerPredictionQueryVariables = Exact<{
  id: string;
}>;


export type CustomerPredictionQuery = { customer: { id: string, predictedValue: { status: PredictionStatus, message: string | null, asOf: string, horizonDays: number, expectedOrders: number | null, probabilityAlive: number | null, modelFittedAt: string | null, expectedValue: { formatted: string } | null, expectedOrderValue: { formatted: string } | null, inputs: { frequency: number, recencyDays: number, ageDays: number, orders: number, firstOrderAt: string, meanOrderValue: { formatted: string }, revenue: { formatted: string } } | null } } | null };

export type CustomerConsentOffersQueryVariables = Exact<{
  id: string;
}>;


export type CustomerConsentOffersQuery = { customer: { id: string, consent: { states: Array<{ channel: ConsentChannel, purpose: ConsentPurpose, status: ConsentStatus | null, allowed: boolean, at: string | null, source: string | null }>, history: Array<{ id: string, channel: ConsentChannel, purpose: ConsentPurpose, status: ConsentStatus, at: string, source: string, note: string | null }> }, recommendations: Array<{ productId: string, name: string | null, reason: string, kind: RecommendationKind }> } | null };

export type ApiKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type ApiKeysQuery = { apiKeys: Array<{ id: string, name: string, role: Role, prefix: string, createdAt: string, lastUsedAt: string | null, revokedAt: string | null }> };

export type CreateApiKeyMutationVariables = Exact<{
  name: string;
  role: Role;
}>;


export type CreateApiKeyMutation = { createApiKey: { key: string, apiKey: { id: string, name: string, role: Role, prefix: string } } };

export type RevokeApiKeyMutationVariables = Exact<{
  id: string;
}>;


export type RevokeApiKeyMutation = { revokeApiKey: { id: string, revokedAt: string | null } };

export type AuditLogQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  actor?: string | null | undefined;
  action?: string | null | undefined;
  target?: string | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
}>;


export type AuditLogQuery = { auditLog: { entries: Array<{ id: string, at: string, action: string, targets: Array<string>, change: unknown, result: string, actor: { apiKeyId: string, name: string, role: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type WebhooksQueryVariables = Exact<{ [key: string]: never; }>;


export type WebhooksQuery = { webhooks: Array<{ id: string, url: string, events: Array<WebhookEvent>, createdAt: string, lastDeliveryAt: string | null, lastStatus: string | null, failures: number }> };

export type CreateWebhookMutationVariables = Exact<{
  url: string;
  events: Array<WebhookEvent> | WebhookEvent;
}>;


export type CreateWebhookMutation = { createWebhook: { id: string, url: string, events: Array<WebhookEvent>, secret: string | null } };

export type DeleteWebhookMutationVariables = Exact<{
  id: string;
}>;


export type DeleteWebhookMutation = { deleteWebhook: { id: string } };

export type WriteKeysQueryVariables = Exact<{
  source: string;
}>;


export type WriteKeysQuery = { writeKeys: Array<{ id: string, source: string, prefix: string, createdAt: string, revokedAt: string | null }> };

export type CreateWriteKeyMutationVariables = Exact<{
  source: string;
}>;


export type CreateWriteKeyMutation = { createWriteKey: { key: string, writeKey: { id: string, prefix: string } } };

export type RevokeWriteKeyMutationVariables = Exact<{
  id: string;
}>;


export type RevokeWriteKeyMutation = { revokeWriteKey: { id: string, revokedAt: string | null } };

export type CustomerSurveysQueryVariables = Exact<{
  id: string;
}>;


export type CustomerSurveysQuery = { customer: { id: string, nps: { score: number, category: NpsCategory, at: string } | null, surveys: Array<{ id: string, kind: SurveyKind, trigger: SurveyTrigger, triggerId: string, state: SurveyState, reason: string | null, createdAt: string, sentAt: string | null, answer: { score: number, category: NpsCategory | null, comment: string | null, at: string } | null }> } | null };

export type HelpdeskSetupQueryVariables = Exact<{ [key: string]: never; }>;


export type HelpdeskSetupQuery = { agents: Array<{ id: string, name: string, email: string, groups: Array<string>, available: boolean }>, groups: Array<{ id: string, name: string, agentIds: Array<string> }>, slaPolicies: Array<{ priority: TicketPriority, firstResponseMinutes: number, resolutionMinutes: number, businessHours: { timeZone: string, holidays: Array<string>, intervals: Array<{ weekday: number, start: string, end: string }> } | null }>, macros: Array<{ id: string, name: string, body: string, setStatus: TicketStatus | null, setPriority: TicketPriority | null, addTags: Array<string> }> };

export type CreateAgentMutationVariables = Exact<{
  input: AgentInput;
}>;


export type CreateAgentMutation = { createAgent: { id: string } };

export type SetAgentAvailableMutationVariables = Exact<{
  id: string;
  available: boolean;
}>;


export type SetAgentAvailableMutation = { setAgentAvailable: { id: string, available: boolean } };

export type CreateGroupMutationVariables = Exact<{
  name: string;
  agentIds: Array<string> | string;
}>;


export type CreateGroupMutation = { createGroup: { id: string } };

export type SetSlaPolicyMutationVariables = Exact<{
  input: SlaPolicyInput;
}>;


export type SetSlaPolicyMutation = { setSlaPolicy: { priority: TicketPriority } };

export type CreateMacroMutationVariables = Exact<{
  input: MacroInput;
}>;


export type CreateMacroMutation = { createMacro: { id: string } };

export type CampaignFieldsFragment = { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> };

export type CampaignsQueryVariables = Exact<{ [key: string]: never; }>;


export type CampaignsQuery = { campaigns: Array<{ id: string, name: string, segmentId: string, state: CampaignState, scheduledAt: string | null, startedAt: string | null, finishedAt: string | null, planned: number, createdAt: string }> };

export type CampaignQueryVariables = Exact<{
  id: string;
}>;


export type CampaignQuery = { campaign: { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> } | null };

export type CampaignListStatsQueryVariables = Exact<{
  id: string;
}>;


export type CampaignListStatsQuery = { campaignReport: { sent: number, opened: number, treated: { converted: number } } };

export type CampaignReportQueryVariables = Exact<{
  id: string;
}>;


export type CampaignReportQuery = { campaignReport: { planned: number, pending: number, heldOut: number, suppressed: number, sent: number, failed: number, unconfirmed: number, delivered: number, bounced: number, complained: number, opened: number, clicked: number, unsubscribed: number, attributionFrom: string | null, attributionTo: string | null, campaign: { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> }, suppressedBy: Array<{ reason: string, count: number }>, treated: { customers: number, converted: number, conversionRate: number, revenue: Array<{ amountMinor: number, currency: string }> }, holdout: { customers: number, converted: number, conversionRate: number, revenue: Array<{ amountMinor: number, currency: string }> }, uplift: { difference: number, low: number, high: number, relative: number | null, z: number, pValue: number, significant: boolean } | null } };

export type PreviewCampaignQueryVariables = Exact<{
  campaign: string;
  customer: string;
}>;


export type PreviewCampaignQuery = { previewCampaign: { subject: string, html: string, text: string } };

export type CreateCampaignMutationVariables = Exact<{
  input: CampaignInput;
}>;


export type CreateCampaignMutation = { createCampaign: { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> } };

export type UpdateCampaignMutationVariables = Exact<{
  id: string;
  input: CampaignInput;
}>;


export type UpdateCampaignMutation = { updateCampaign: { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> } };

export type SendTestCampaignMutationVariables = Exact<{
  campaign: string;
  to: string;
  customer?: string | null | undefined;
}>;


export type SendTestCampaignMutation = { sendTestCampaign: { messageId: string } };

export type ScheduleCampaignMutationVariables = Exact<{
  id: string;
  at: string;
  timeZone: string;
}>;


export type ScheduleCampaignMutation = { scheduleCampaign: { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> } };

export type SendCampaignNowMutationVariables = Exact<{
  id: string;
}>;


export type SendCampaignNowMutation = { sendCampaignNow: { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> } };

export type CancelCampaignMutationVariables = Exact<{
  id: string;
}>;


export type CancelCampaignMutation = { cancelCampaign: { id: string, name: string, segmentId: string, audience: CampaignAudience, subject: string, html: string, text: string, fromName: string | null, holdoutPercent: number, attributionDays: number, ratePerMinute: number, state: CampaignState, scheduledAt: string | null, scheduledLocal: string | null, timeZone: string | null, startedAt: string | null, finishedAt: string | null, planned: number, lastError: string | null, createdAt: string, updatedAt: string, defaults: Array<{ placeholder: string, value: string }> } };

export type JourneySummaryFragment = { id: string, name: string, status: JourneyStatus, liveVersion: number | null, latestVersion: number, createdAt: string, updatedAt: string };

export type JourneysQueryVariables = Exact<{ [key: string]: never; }>;


export type JourneysQuery = { journeys: Array<{ id: string, name: string, status: JourneyStatus, liveVersion: number | null, latestVersion: number, createdAt: string, updatedAt: string }> };

export type JourneyQueryVariables = Exact<{
  id: string;
}>;


export type JourneyQuery = { journey: { id: string, name: string, status: JourneyStatus, liveVersion: number | null, latestVersion: number, createdAt: string, updatedAt: string, versions: Array<{ version: number, live: boolean, createdAt: string, publishedAt: string | null, definition: unknown, stats: { entered: number, inProgress: number, done: number, exited: number, converted: number, conversionRate: number | null, holdout: number, holdoutConverted: number, holdoutConversionRate: number | null, steps: Array<{ stepId: string, kind: JourneyStepKind, entered: number, completed: number, waiting: number, outcomes: Array<{ outcome: string, count: number }> }> } }> } | null };

export type CreateJourneyMutationVariables = Exact<{
  input: JourneyInput;
}>;


export type CreateJourneyMutation = { createJourney: { id: string, name: string, status: JourneyStatus, liveVersion: number | null, latestVersion: number, createdAt: string, updatedAt: string } };

export type PublishJourneyMutationVariables = Exact<{
  id: string;
}>;


export type PublishJourneyMutation = { publishJourney: { id: string, name: string, status: JourneyStatus, liveVersion: number | null, latestVersion: number, createdAt: string, updatedAt: string } };

export type PauseJourneyMutationVariables = Exact<{
  id: string;
}>;


export type PauseJourneyMutation = { pauseJourney: { id: string, name: string, status: JourneyStatus, liveVersion: number | null, latestVersion: number, createdAt: string, updatedAt: string } };

export type ArchiveJourneyMutationVariables = Exact<{
  id: string;
}>;


export type ArchiveJourneyMutation = { archiveJourney: { id: string, name: string, status: JourneyStatus, liveVersion: number | null, latestVersion: number, createdAt: string, updatedAt: string } };

export type MarketingEffectivenessQueryVariables = Exact<{
  from?: string | null | undefined;
  to?: string | null | undefined;
  currency?: string | null | undefined;
}>;


export type MarketingEffectivenessQuery = { marketingEffectiveness: { from: string | null, to: string | null, ready: boolean, currency: string | null, currencies: Array<string>, totals: { messagesSent: number, conversions: number, significantCampaigns: number, significantJourneys: number, attributedRevenue: { amountMinor: number, currency: string } | null }, campaigns: Array<{ campaignId: string, name: string, state: CampaignState, startedAt: string | null, planned: number, sent: number, delivered: number, opened: number, clicked: number, unsubscribed: number, computedAt: string, treated: { customers: number, converted: number, conversionRate: number, revenue: { amountMinor: number, currency: string } | null, revenuePerCustomer: { amountMinor: number, currency: string } | null }, holdout: { customers: number, converted: number, conversionRate: number, revenue: { amountMinor: number, currency: string } | null, revenuePerCustomer: { amountMinor: number, currency: string } | null }, uplift: { difference: number, low: number, high: number, relative: number | null, pValue: number, significant: boolean } | null }>, journeys: Array<{ journeyId: string, name: string, status: JourneyStatus, version: number, live: boolean, entered: number, inProgress: number, done: number, exited: number, converted: number, conversionRate: number | null, holdout: number, holdoutConverted: number, holdoutConversionRate: number | null, messagesSent: number, computedAt: string, uplift: { difference: number, low: number, high: number, relative: number | null, pValue: number, significant: boolean } | null }> } };

export type RefreshMarketingEffectivenessMutationVariables = Exact<{ [key: string]: never; }>;


export type RefreshMarketingEffectivenessMutation = { refreshMarketingEffectiveness: boolean };

export type AdminSourceQueryVariables = Exact<{ [key: string]: never; }>;


export type AdminSourceQuery = { sources: Array<{ name: string, kind: SourceKind, priority: number, revision: number, identifierFields: Array<{ field: string, target: string }>, ownTraitFields: Array<{ field: string, target: string }> }> };

export type UpdateSourceMutationVariables = Exact<{
  source: string;
  input: SourceUpdateInput;
}>;


export type UpdateSourceMutation = { updateSource: { name: string, kind: SourceKind, priority: number, revision: number } };

export type UpdateAgentMutationVariables = Exact<{
  id: string;
  input: AgentUpdateInput;
}>;


export type UpdateAgentMutation = { updateAgent: { id: string, name: string, email: string, groups: Array<string>, available: boolean } };

export type DeleteAgentMutationVariables = Exact<{
  id: string;
}>;


export type DeleteAgentMutation = { deleteAgent: { unassignedTickets: number, agent: { id: string } } };

export type UpdateGroupMutationVariables = Exact<{
  id: string;
  name: string;
  agentIds: Array<string> | string;
}>;


export type UpdateGroupMutation = { updateGroup: { id: string, name: string, agentIds: Array<string> } };

export type DeleteGroupMutationVariables = Exact<{
  id: string;
}>;


export type DeleteGroupMutation = { deleteGroup: { id: string } };

export type DeleteSlaPolicyMutationVariables = Exact<{
  priority: TicketPriority;
}>;


export type DeleteSlaPolicyMutation = { deleteSlaPolicy: { priority: TicketPriority } };

export type UpdateMacroMutationVariables = Exact<{
  id: string;
  input: MacroInput;
}>;


export type UpdateMacroMutation = { updateMacro: { id: string, name: string, body: string, setStatus: TicketStatus | null, setPriority: TicketPriority | null, addTags: Array<string> } };

export type DeleteMacroMutationVariables = Exact<{
  id: string;
}>;


export type DeleteMacroMutation = { deleteMacro: { id: string } };

export type ProductQualityQueryVariables = Exact<{
  by: QualityGrouping;
  orderBy: QualityOrder;
  minUnits?: number | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ProductQualityQuery = { productQuality: { ready: boolean, currency: string | null, minUnits: number, ticketWindowDays: number, orders: number, tickets: number, totalCount: number, rows: Array<{ key: string, sku: string | null, name: string, category: string, orders: number, unitsSold: number, unitsReturned: number, returnRate: number, unmatchedReturnedUnits: number, unmatchedReturns: number, tickets: number, ticketsPer100Orders: number, ratedTickets: number, averageCsat: number | null, satisfiedShare: number | null, netRevenue: { formatted: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type TicketOrderQueryVariables = Exact<{
  id: string;
}>;


export type TicketOrderQuery = { ticket: { id: string, orderId: string | null, order: { id: string, externalId: string, placedAt: string, total: { formatted: string } } | null } | null };

export type SetTicketOrderMutationVariables = Exact<{
  id: string;
  orderId?: string | null | undefined;
}>;


export type SetTicketOrderMutation = { setTicketOrder: { id: string, orderId: string | null, order: { id: string, externalId: string, placedAt: string, total: { formatted: string } } | null } };

export type SaveRfmCellAsSegmentMutationVariables = Exact<{
  recency: number;
  frequency: number;
  name: string;
  country?: string | null | undefined;
  currency?: string | null | undefined;
  asOf?: string | null | undefined;
}>;


export type SaveRfmCellAsSegmentMutation = { saveRfmCellAsSegment: { id: string, name: string, memberCount: number } };
