//! How one table is declared, on a single server or across a cluster.
//!
//! On a cluster every table `t` becomes `t_local` plus a Distributed `t`
//! over it, sharded by trace id so one trace's spans and its index row live
//! on one shard. Two ways to keep replicas ([`Replication`]): with Keeper,
//! `t_local` is a Replicated engine created `ON CLUSTER`; without it,
//! `t_local` is the plain engine, every statement is run on each listed
//! node, and the Distributed table writes each row to every replica of its
//! shard itself (the cluster's shards declare `internal_replication=false`).
//! Everything here is per table, so a new migration declared through
//! [`SchemaOptions::table`] and [`SchemaOptions::add_columns`] works in
//! every layout.

/// What the DDL depends on, from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaOptions {
    pub database: String,
    pub cluster: Option<Cluster>,
    pub ttl_days: u32,
    /// Retention of `otel_logs` (`clickhouse.logs_ttl_days`).
    pub logs_ttl_days: u32,
    /// Retention of the metric tables (`clickhouse.metrics_ttl_days`).
    pub metrics_ttl_days: u32,
}

/// A ClickHouse cluster the tables are spread over (`clickhouse.cluster`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Its name in the servers' `remote_servers`.
    pub name: String,
    pub replication: Replication,
}

/// Who keeps a shard's replicas equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replication {
    /// Replicated engines, DDL `ON CLUSTER`: needs Keeper (or ZooKeeper).
    Keeper,
    /// No Keeper: plain engines, DDL run on each of these nodes (HTTP
    /// URLs, `clickhouse.cluster_nodes`), and the Distributed tables write
    /// every replica (`internal_replication=false`).
    Distributed { nodes: Vec<String> },
}

impl Cluster {
    /// The cluster `clickhouse.cluster` and `clickhouse.cluster_nodes`
    /// describe: no nodes listed means the Keeper layout.
    pub fn from_keys(name: Option<&str>, nodes: &[String]) -> Option<Cluster> {
        let name = name?.to_owned();
        let replication = if nodes.is_empty() {
            Replication::Keeper
        } else {
            Replication::Distributed {
                nodes: nodes.to_vec(),
            }
        };
        Some(Cluster { name, replication })
    }

    /// Checks the two keys together with `clickhouse.url`; the error names
    /// the key to fix.
    pub fn check_keys(
        name: Option<&str>,
        nodes: &[String],
        url: Option<&str>,
    ) -> Result<(), (&'static str, String)> {
        let problem = |key, text: &str| Err((key, text.to_owned()));
        if name.is_some_and(|n| n.trim().is_empty()) {
            return problem("clickhouse.cluster", "must not be empty");
        }
        if nodes.is_empty() {
            return Ok(());
        }
        if name.is_none() {
            return problem(
                "clickhouse.cluster_nodes",
                "needs clickhouse.cluster (the cluster's name in the servers' remote_servers)",
            );
        }
        if let Some(bad) = nodes
            .iter()
            .find(|n| !(n.starts_with("http://") || n.starts_with("https://")))
        {
            return Err((
                "clickhouse.cluster_nodes",
                format!(
                    "entries must start with http:// or https:// (got {})",
                    crate::redact::url(bad)
                ),
            ));
        }
        let normal = |u: &str| u.trim_end_matches('/').to_owned();
        let mut seen: Vec<String> = nodes.iter().map(|n| normal(n)).collect();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != nodes.len() {
            return problem("clickhouse.cluster_nodes", "lists a node twice");
        }
        match url {
            None => problem(
                "clickhouse.cluster_nodes",
                "needs clickhouse.url: the node this collector writes and reads through",
            ),
            Some(url) if !seen.contains(&normal(url)) => problem(
                "clickhouse.cluster_nodes",
                "must list clickhouse.url (the schema is created on every listed node)",
            ),
            Some(_) => Ok(()),
        }
    }

    /// The nodes every statement runs on, when there is no Keeper.
    pub fn nodes(&self) -> Option<&[String]> {
        match &self.replication {
            Replication::Keeper => None,
            Replication::Distributed { nodes } => Some(nodes),
        }
    }
}

impl SchemaOptions {
    /// Options for DDL tests: database `jamscope`, 7-day TTL, a cluster
    /// (if named) with Keeper.
    #[cfg(test)]
    pub(crate) fn for_tests(cluster: Option<&str>) -> Self {
        Self {
            database: "jamscope".into(),
            cluster: Cluster::from_keys(cluster, &[]),
            ttl_days: 7,
            logs_ttl_days: 3,
            metrics_ttl_days: 7,
        }
    }

    /// Options for DDL tests of a cluster without Keeper, two nodes.
    #[cfg(test)]
    pub(crate) fn for_tests_without_keeper(cluster: &str) -> Self {
        let nodes = ["http://n1:8123".to_owned(), "http://n2:8123".to_owned()];
        Self {
            cluster: Cluster::from_keys(Some(cluster), &nodes),
            ..Self::for_tests(None)
        }
    }

    /// The nodes each statement must be run on one by one: `None` when one
    /// server (or `ON CLUSTER`) takes care of them all.
    pub fn nodes(&self) -> Option<&[String]> {
        self.cluster.as_ref().and_then(Cluster::nodes)
    }

    pub fn quoted_database(&self) -> String {
        quote_identifier(&self.database)
    }

    /// ` ON CLUSTER name` with Keeper; nothing otherwise (without Keeper
    /// each node is sent the statement itself).
    pub fn on_cluster(&self) -> String {
        match &self.cluster {
            Some(Cluster {
                name,
                replication: Replication::Keeper,
            }) => format!(" ON CLUSTER {}", quote_identifier(name)),
            _ => String::new(),
        }
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
        self.daily_partitions_kept(time_column, order_by, self.ttl_days)
    }

    /// [`Self::daily_partitions`] with a retention of `days` (a signal
    /// kept for its own time: `logs_ttl_days`, `metrics_ttl_days`).
    pub fn daily_partitions_kept(&self, time_column: &str, order_by: &str, days: u32) -> String {
        format!(
            "PARTITION BY toDate({time_column}) ORDER BY {order_by} \
             TTL toDateTime({time_column}) + toIntervalDay({days}) \
             SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"
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
        let local_engine = match cluster.replication {
            Replication::Keeper => self.replicated(engine, &local),
            Replication::Distributed { .. } => engine.to_owned(),
        };
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {}{} ({columns}) ENGINE = {local_engine} {settings}",
                self.storage_name(name),
                self.on_cluster()
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {}{} AS {} ENGINE = Distributed({}, {}, {}, {})",
                self.qualified(name),
                self.on_cluster(),
                self.storage_name(name),
                quote_string(&cluster.name),
                quote_string(&self.database),
                quote_string(&local),
                shard_by.unwrap_or("rand()")
            ),
        ]
    }

    /// `engine` kept by Keeper: a replicated engine takes the engine's own
    /// parameters after the replication path and replica name.
    fn replicated(&self, engine: &str, local: &str) -> String {
        let (engine_name, parameters) = match engine.split_once('(') {
            Some((name, rest)) => (
                name,
                format!(", {}", rest.strip_suffix(')').unwrap_or(rest)),
            ),
            None => (engine, String::new()),
        };
        format!(
            "Replicated{engine_name}('/clickhouse/tables/{{shard}}/{}/{local}', '{{replica}}'{parameters})",
            self.database
        )
    }

    /// `ALTER TABLE … ADD COLUMN IF NOT EXISTS` for one table: `columns` is
    /// a list of `name type [codec]`. On a cluster both the storage and the
    /// Distributed table over it get the columns (a Distributed table is
    /// created `AS` its storage, so it would not see later columns).
    pub fn add_columns(&self, table: &str, columns: &[&str]) -> Vec<String> {
        let clause = columns
            .iter()
            .map(|column| format!("ADD COLUMN IF NOT EXISTS {column}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut statements = vec![format!(
            "ALTER TABLE {}{} {clause}",
            self.storage_name(table),
            self.on_cluster()
        )];
        if self.cluster.is_some() {
            statements.push(format!(
                "ALTER TABLE {}{} {clause}",
                self.qualified(table),
                self.on_cluster()
            ));
        }
        statements
    }
}

/// Backquotes an identifier, escaping what could end it.
pub fn quote_identifier(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

pub fn quote_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::super::all_statements;
    use super::*;

    #[test]
    fn without_keeper_every_table_is_a_plain_local_table_and_a_distributed_one() {
        let statements = all_statements(&SchemaOptions::for_tests_without_keeper("c"));
        let sql = statements.join("\n");
        assert!(
            !sql.contains("ON CLUSTER"),
            "each node is sent the DDL itself"
        );
        assert!(!sql.contains("Replicated"));
        assert!(sql.contains(
            "CREATE TABLE IF NOT EXISTS `jamscope`.`otel_traces_local` (\n    Timestamp"
        ));
        assert!(sql.contains(
            "`jamscope`.`otel_traces` AS `jamscope`.`otel_traces_local` ENGINE = Distributed('c', 'jamscope', 'otel_traces_local', cityHash64(TraceId))"
        ));
        assert!(sql.contains(
            "`jamscope`.`trace_index` AS `jamscope`.`trace_index_local` ENGINE = Distributed('c', 'jamscope', 'trace_index_local', cityHash64(TraceId))"
        ));
        assert!(sql.contains("ENGINE = AggregatingMergeTree PARTITION BY toDate(Start)"));
        assert!(sql.contains("ENGINE = ReplacingMergeTree(Timestamp) PARTITION BY"));
        // The view reads each node's own spans into its own index.
        assert!(sql.contains(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS `jamscope`.`trace_index_mv_local` TO `jamscope`.`trace_index_local`"
        ));
        assert!(sql.contains("FROM `jamscope`.`otel_traces_local` GROUP BY TraceId"));
        assert!(sql.contains(
            "ALTER TABLE `jamscope`.`otel_traces_local` MODIFY SETTING non_replicated_deduplication_window = 1000"
        ));
    }

    #[test]
    fn added_columns_reach_the_distributed_table_too() {
        let single = SchemaOptions::for_tests(None).add_columns("t", &["A String", "B UInt8"]);
        assert_eq!(
            single,
            ["ALTER TABLE `jamscope`.`t` ADD COLUMN IF NOT EXISTS A String, ADD COLUMN IF NOT EXISTS B UInt8"]
        );
        let keeperless =
            SchemaOptions::for_tests_without_keeper("c").add_columns("t", &["A String"]);
        assert_eq!(
            keeperless,
            [
                "ALTER TABLE `jamscope`.`t_local` ADD COLUMN IF NOT EXISTS A String",
                "ALTER TABLE `jamscope`.`t` ADD COLUMN IF NOT EXISTS A String"
            ]
        );
        let keeper = SchemaOptions::for_tests(Some("prod")).add_columns("t", &["A String"]);
        assert_eq!(
            keeper[1],
            "ALTER TABLE `jamscope`.`t` ON CLUSTER `prod` ADD COLUMN IF NOT EXISTS A String"
        );
    }

    #[test]
    fn cluster_keys_are_checked_together() {
        let nodes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let url = Some("http://a:8123");
        assert!(Cluster::check_keys(None, &[], None).is_ok());
        assert!(
            Cluster::check_keys(Some("c"), &[], None).is_ok(),
            "Keeper layout"
        );
        assert!(
            Cluster::check_keys(Some("c"), &nodes(&["http://a:8123/", "http://b:8123"]), url)
                .is_ok()
        );
        let key_of =
            |name, list: &[&str], url| Cluster::check_keys(name, &nodes(list), url).unwrap_err();
        assert_eq!(key_of(Some(" "), &[], None).0, "clickhouse.cluster");
        let (key, problem) = key_of(None, &["http://a:8123"], url);
        assert_eq!(key, "clickhouse.cluster_nodes");
        assert!(problem.contains("needs clickhouse.cluster"), "{problem}");
        let (_, problem) = key_of(Some("c"), &["a:8123"], url);
        assert!(problem.contains("http://"), "{problem}");
        let (_, problem) = key_of(Some("c"), &["http://a:8123", "http://a:8123/"], url);
        assert!(problem.contains("twice"), "{problem}");
        let (_, problem) = key_of(Some("c"), &["http://a:8123"], None);
        assert!(problem.contains("needs clickhouse.url"), "{problem}");
        let (_, problem) = key_of(Some("c"), &["http://b:8123"], url);
        assert!(problem.contains("must list clickhouse.url"), "{problem}");
        assert_eq!(
            Cluster::from_keys(Some("c"), &nodes(&["http://a:8123"]))
                .and_then(|c| c.nodes().map(<[String]>::to_vec)),
            Some(nodes(&["http://a:8123"]))
        );
        assert_eq!(
            Cluster::from_keys(Some("c"), &[]).map(|c| c.replication),
            Some(Replication::Keeper)
        );
    }
}
