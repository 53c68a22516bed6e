//! `consecutive` (failed builds in a row) and `regression` (worse than a
//! baseline) rules: both read the builds table and stored data.

use crate::alert::engine::Observation;
use crate::alert::rules::Rule;
use crate::store::queries::{Queries, QueryError};

pub async fn observe(
    _queries: &Queries,
    _rule: &Rule,
    _now_millis: i64,
) -> Result<Vec<Observation>, QueryError> {
    Ok(Vec::new())
}
