//! How one table is declared, on a single server or across a cluster.
//!
//! On a cluster every table `t` becomes `t_local` (Replicated engine, created
//! `ON CLUSTER`) plus a Distributed `t` over it, sharded by trace id so one
//! trace's spans and its index row live on one shard.

/// What the DDL depends on, from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaOptions {
    pub database: String,
    pub cluster: Option<String>,
    pub ttl_days: u32,
}

impl SchemaOptions {
    /// Options for DDL tests: database `jamscope`, 7-day TTL.
    #[cfg(test)]
    pub(crate) fn for_tests(cluster: Option<&str>) -> Self {
        Self {
            database: "jamscope".into(),
            cluster: cluster.map(Into::into),
            ttl_days: 7,
        }
    }

    pub fn quoted_database(&self) -> String {
        quote_identifier(&self.database)
    }

    pub fn on_cluster(&self) -> String {
        self.cluster
            .as_deref()
            .map(|c| format!(" ON CLUSTER {}", quote_identifier(c)))
            .unwrap_or_default()
    }

    /// The name DDL should use for the storage behind `table`: the table
    /// itself on one server, its `_local` shard table on a cluster.
    pub fn storage_name(&self, table: &str) -> String {
        self.qualified(&self.storage_table(table))
    }

    /// [`Self::storage_name`] unqualified and unquoted, as `system.tables`
    /// names it.
    pub fn storage_table(&self, table: &str) -> String {
        match self.cluster {
            Some(_) => format!("{table}_local"),
            None => table.to_owned(),
        }
    }

    /// The table settings every Jamscope table shares: one partition per
    /// day of `time_column`, expiring whole after `ttl_days`.
    pub fn daily_partitions(&self, time_column: &str, order_by: &str) -> String {
        format!(
            "PARTITION BY toDate({time_column}) ORDER BY {order_by} \
             TTL toDateTime({time_column}) + toIntervalDay({}) \
             SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1",
            self.ttl_days
        )
    }

    pub fn qualified(&self, table: &str) -> String {
        format!("{}.{}", self.quoted_database(), quote_identifier(table))
    }

    /// `CREATE TABLE` statement(s) for one table. `engine` is a MergeTree
    /// family name (`MergeTree`, `AggregatingMergeTree`, ...), with its
    /// parameters if it takes any (`ReplacingMergeTree(Version)`); `shard_by`
    /// is the Distributed sharding key used on a cluster (`rand()` when `None`).
    pub fn table(
        &self,
        name: &str,
        columns: &str,
        engine: &str,
        settings: &str,
        shard_by: Option<&str>,
    ) -> Vec<String> {
        let Some(cluster) = &self.cluster else {
            return vec![format!(
                "CREATE TABLE IF NOT EXISTS {} ({columns}) ENGINE = {engine} {settings}",
                self.qualified(name)
            )];
        };
        let local = format!("{name}_local");
        // A replicated engine takes the engine's own parameters after the
        // replication path and replica name.
        let (engine_name, parameters) = match engine.split_once('(') {
            Some((name, rest)) => (
                name,
                format!(", {}", rest.strip_suffix(')').unwrap_or(rest)),
            ),
            None => (engine, String::new()),
        };
        let replicated = format!(
            "Replicated{engine_name}('/clickhouse/tables/{{shard}}/{}/{local}', '{{replica}}'{parameters})",
            self.database
        );
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {}{} ({columns}) ENGINE = {replicated} {settings}",
                self.storage_name(name),
                self.on_cluster()
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {}{} AS {} ENGINE = Distributed({}, {}, {}, {})",
                self.qualified(name),
                self.on_cluster(),
                self.storage_name(name),
                quote_string(cluster),
                quote_string(&self.database),
                quote_string(&local),
                shard_by.unwrap_or("rand()")
            ),
        ]
    }
}

/// Backquotes an identifier, escaping what could end it.
pub fn quote_identifier(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

pub fn quote_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}
