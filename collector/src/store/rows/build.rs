//! `builds`: one row per build or deploy event. Written one at a time by
//! [`crate::store::writer::insert_now`], while the sender waits.

use super::Table;
use crate::model::build::Build;
use crate::store::rowbinary::{put_datetime64_millis, put_str, put_u64, put_varint};

pub struct BuildTable;

impl Table for BuildTable {
    type Record = Build;

    const NAME: &'static str = "builds";

    const COLUMNS: &'static [&'static str] = &[
        "Id",
        "Pipeline",
        "Kind",
        "Status",
        "Commit",
        "StartedAt",
        "FinishedAt",
        "Stages",
        "ReceivedAt",
    ];

    fn encode(build: &Build, buf: &mut Vec<u8>) {
        for text in [
            build.id.as_str(),
            build.pipeline.as_str(),
            build.kind.as_str(),
            build.status.as_str(),
            build.commit.as_str(),
        ] {
            put_str(buf, text.as_bytes());
        }
        put_datetime64_millis(buf, build.started_at_millis);
        put_datetime64_millis(buf, build.finished_at_millis);
        put_varint(buf, build.stages.len() as u64);
        for (stage, millis) in &build.stages {
            put_str(buf, stage.as_str().as_bytes());
            put_u64(buf, *millis);
        }
        put_datetime64_millis(buf, build.received_at_millis);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::build::{BuildKind, BuildStatus, Stage};

    #[test]
    fn a_row_is_its_columns_in_order() {
        let build = Build {
            id: "7".into(),
            pipeline: "p".into(),
            kind: BuildKind::Deploy,
            status: BuildStatus::Success,
            commit: String::new(),
            started_at_millis: 1,
            finished_at_millis: 2,
            stages: [(Stage::Images, 5)].into_iter().collect(),
            received_at_millis: 3,
        };
        let mut buf = Vec::new();
        BuildTable::encode(&build, &mut buf);
        let mut expected = vec![1, b'7', 1, b'p', 6];
        expected.extend(b"deploy");
        expected.push(7);
        expected.extend(b"success");
        expected.push(0);
        expected.extend(1i64.to_le_bytes());
        expected.extend(2i64.to_le_bytes());
        expected.extend([1, 6]);
        expected.extend(b"images");
        expected.extend(5u64.to_le_bytes());
        expected.extend(3i64.to_le_bytes());
        assert_eq!(buf, expected);
        assert_eq!(
            BuildTable::insert_sql(),
            "INSERT INTO builds (Id, Pipeline, Kind, Status, Commit, StartedAt, FinishedAt, Stages, ReceivedAt) FORMAT RowBinary"
        );
    }
}
