/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
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


export type CustomerQuery = { customer: { id: string, createdAt: string, updatedAt: string, firstName: string | null, lastName: string | null, name: string, emails: Array<string>, phones: Array<string>, birthDate: string | null, locale: string | null, attributes: unknown, addresses: Array<{ line1: string | null, line2: string | null, city: string | null, postcode: string | null, region: string | null, country: string | null }>, identities: Array<{ id: string, type: string, value: string, sources: Array<string>, firstSeen: string }>, traitProvenance: Array<{ field: string, value: unknown, source: string, recordId: string, receivedAt: string, rule: SurvivorshipRule }>, sourceRecords: Array<{ id: string, source: string, externalId: string, payload: unknown, receivedAt: string, observedAt: string }>, mergeHistory: Array<{ at: string, kind: MergeKind, profileIds: Array<string>, recordId: string | null, rule: string, actor: string }>, invalidValues: Array<{ field: string, value: string, reason: string, source: string, recordId: string }> } | null };

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
