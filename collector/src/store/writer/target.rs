//! Where every write ends: one INSERT of RowBinary rows with its
//! deduplication token and timeouts ([`InsertTarget::insert`]). And the
//! second of the two ways to write a table, [`insert_now`], for a caller
//! that waits for ClickHouse (the first is the queued writer, `run`).

use std::time::Duration;

use bytes::Bytes;

use super::super::rows::Table;
use super::super::spool::new_token;
use super::failure::{classify, InsertFailure};

/// A ClickHouse client with the insert settings every write uses.
#[derive(Clone)]
pub struct InsertTarget {
    pub client: clickhouse::Client,
    pub send_timeout: Duration,
    pub response_timeout: Duration,
}

impl InsertTarget {
    /// One INSERT; returns how long ClickHouse took.
    pub async fn insert(
        &self,
        sql: &str,
        data: Bytes,
        token: &str,
    ) -> Result<Duration, InsertFailure> {
        let started = std::time::Instant::now();
        let mut insert = self
            .client
            .insert_formatted_with(sql.to_owned())
            // The same token on every retry and replay: ClickHouse keeps the
            // first and drops the rest, in the views' targets too.
            .with_setting("insert_deduplicate", "1")
            .with_setting("insert_deduplication_token", token)
            .with_setting("deduplicate_blocks_in_dependent_materialized_views", "1")
            .with_timeouts(Some(self.send_timeout), Some(self.response_timeout));
        let result = async {
            insert.send(data).await?;
            insert.end().await
        }
        .await;
        result
            .map(|()| started.elapsed())
            .map_err(|error| classify(&error))
    }

    /// `records` as rows of `T` in one INSERT under `token`.
    pub(super) async fn insert_rows<T: Table>(
        &self,
        records: &[T::Record],
        token: &str,
    ) -> Result<(), InsertFailure> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for record in records {
            T::encode(record, &mut buf);
        }
        self.insert(&T::insert_sql(), buf.into(), token)
            .await
            .map(|_took| ())
    }
}

/// Writes `records` to `T` at once, for a low-volume table whose writer
/// waits for ClickHouse (build events, alerting's tables): no queue, no
/// spool, no retry; the caller answers the failure (a 503 the sender
/// retries, a warning and the next evaluation). A fresh token per call: a
/// record sent again is a new row, which the table's engine may replace by.
pub async fn insert_now<T: Table>(
    target: &InsertTarget,
    records: &[T::Record],
) -> Result<(), InsertFailure> {
    target.insert_rows::<T>(records, &new_token()).await
}
