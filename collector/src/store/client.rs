//! Connection settings → a `clickhouse::Client`, and waiting until the
//! server answers.

use std::time::Duration;

use clickhouse::{Client, Compression};

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub url: String,
    pub database: String,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl Connection {
    /// A client for the configured database.
    pub fn client(&self) -> Client {
        self.server_client().with_database(&self.database)
    }

    /// A client not bound to a database, for creating it.
    pub fn server_client(&self) -> Client {
        let mut client = Client::default()
            .with_url(&self.url)
            .with_compression(Compression::Lz4)
            // Rows are encoded by `rows`, whose column lists are checked by
            // the end-to-end tests; skipping validation saves a schema fetch.
            .with_validation(false);
        if let Some(user) = &self.user {
            client = client.with_user(user);
        }
        if let Some(password) = &self.password {
            client = client.with_password(password);
        }
        client
    }

    /// Polls `SELECT 1` until the server answers or `timeout` passes.
    pub async fn wait_until_ready(&self, timeout: Duration) -> Result<(), StoreError> {
        let client = self.server_client();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let error = match client.query("SELECT 1").fetch_one::<u8>().await {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::NotReady {
                    url: self.url.clone(),
                    seconds: timeout.as_secs(),
                    last_error: error.to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
