use crypter_api::{ApiError, ClusterView};

/// `GET /api/v1/cluster`: the store's nodes with their data center, role and health.
pub async fn cluster() -> Result<ClusterView, ApiError> {
    super::get("/cluster").await
}
