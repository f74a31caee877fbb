//! The KurrentDB / EventStoreDB backend (placeholder until written).
