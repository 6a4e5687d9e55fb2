// Placeholder: replaced by the PostgreSQL / Kafka bring-up.
export default async function globalSetup(): Promise<void> {}
