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
