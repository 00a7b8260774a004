//! The statements of a write transaction, one text for both ways of running them.
//!
//! A hot write (a hold, an order begun, a paid order settled, holds expired) is written once, as
//! async code over [`Steps`]: on PostgreSQL (and on SQLite where no hand-off is wanted) `OnTx`
//! (`shared.rs`) runs each statement through sqlx in the backend's transaction; on SQLite
//! [`Raw`] runs them on the writer connection's handle through rusqlite, inside one hand-off of
//! the group commit (`GroupCommit::write`), and [`run_ready`] drives the code to its end there
//! without a runtime, since nothing in it waits. So the SQL and the decisions between the
//! statements cannot drift apart between the two.

use crate::group_commit::raw_error;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// A statement's parameter, bound by position (`$1` is the first).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arg<'a> {
    Uuid(Uuid),
    Int(i64),
    /// For INTEGER columns (PostgreSQL's INT), such as a slice's number.
    Int32(i32),
    Text(&'a str),
    OptText(Option<&'a str>),
}

/// The connection of a write transaction, statement by statement.
pub(crate) trait Steps {
    type Row: Columns;
    /// Runs a statement; answers how many rows it changed.
    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error>;
    /// Runs a statement and answers its rows.
    async fn fetch_all(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Self::Row>, sqlx::Error>;

    async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Self::Row>, sqlx::Error> {
        Ok(self.fetch_all(sql, args).await?.into_iter().next())
    }

    async fn fetch_one(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Self::Row, sqlx::Error> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

/// A row's columns by name.
pub(crate) trait Columns {
    fn uuid(&self, name: &str) -> Result<Uuid, sqlx::Error>;
    fn opt_uuid(&self, name: &str) -> Result<Option<Uuid>, sqlx::Error>;
    fn int(&self, name: &str) -> Result<i64, sqlx::Error>;
    fn int32(&self, name: &str) -> Result<i32, sqlx::Error>;
    fn text(&self, name: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, name: &str) -> Result<Option<String>, sqlx::Error>;
}

/// `$1, $2, …` from `first` on, `count` of them, for a list bound one by one.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Drives code over [`Raw`] to its end: it never waits, so one poll finishes it.
pub(crate) fn run_ready<T, E: From<sqlx::Error>>(
    steps: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let steps = std::pin::pin!(steps);
    match steps.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(done) => done,
        std::task::Poll::Pending => Err(sqlx::Error::Protocol(
            "a write run in one hand-off waited for something".into(),
        )
        .into()),
    }
}

/// The SQLite writer's handle, within one hand-off: every statement runs at once, prepared once
/// per connection.
pub(crate) struct Raw<'c>(pub &'c rusqlite::Connection);

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        // As sqlx's SQLite driver stores them: ids as 16-byte BLOBs.
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Uuid(id) => ValueRef::Blob(id.as_bytes()),
            Arg::Int(n) => ValueRef::Integer(*n),
            Arg::Int32(n) => ValueRef::Integer(i64::from(*n)),
            Arg::Text(text) | Arg::OptText(Some(text)) => ValueRef::Text(text.as_bytes()),
            Arg::OptText(None) => ValueRef::Null,
        }))
    }
}

impl Steps for Raw<'_> {
    type Row = RawRow;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        let mut statement = self.0.prepare_cached(sql).map_err(raw_error)?;
        let changed = statement
            .execute(rusqlite::params_from_iter(args))
            .map_err(raw_error)?;
        Ok(changed as u64)
    }

    async fn fetch_all(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<RawRow>, sqlx::Error> {
        let mut statement = self.0.prepare_cached(sql).map_err(raw_error)?;
        let names: Arc<HashMap<String, usize>> = Arc::new(
            statement
                .column_names()
                .into_iter()
                .enumerate()
                .map(|(at, name)| (name.to_owned(), at))
                .collect(),
        );
        let width = names.len();
        let mut rows = statement
            .query(rusqlite::params_from_iter(args))
            .map_err(raw_error)?;
        let mut read = Vec::new();
        while let Some(row) = rows.next().map_err(raw_error)? {
            let values = (0..width)
                .map(|at| row.get::<_, Value>(at))
                .collect::<Result<_, _>>()
                .map_err(raw_error)?;
            read.push(RawRow {
                names: names.clone(),
                values,
            });
        }
        Ok(read)
    }
}

/// A row read through [`Raw`].
pub(crate) struct RawRow {
    names: Arc<HashMap<String, usize>>,
    values: Vec<Value>,
}

impl RawRow {
    fn value(&self, name: &str) -> Result<&Value, sqlx::Error> {
        self.names
            .get(name)
            .and_then(|at| self.values.get(*at))
            .ok_or_else(|| sqlx::Error::ColumnNotFound(name.to_owned()))
    }

    fn mismatch(name: &str, value: &Value) -> sqlx::Error {
        sqlx::Error::ColumnDecode {
            index: name.to_owned(),
            source: format!("unexpected {:?}", value.data_type()).into(),
        }
    }
}

impl Columns for RawRow {
    fn uuid(&self, name: &str) -> Result<Uuid, sqlx::Error> {
        self.opt_uuid(name)?
            .ok_or_else(|| Self::mismatch(name, &Value::Null))
    }

    fn opt_uuid(&self, name: &str) -> Result<Option<Uuid>, sqlx::Error> {
        match self.value(name)? {
            Value::Null => Ok(None),
            Value::Blob(bytes) => Uuid::from_slice(bytes)
                .map(Some)
                .map_err(|e| sqlx::Error::Decode(e.into())),
            other => Err(Self::mismatch(name, other)),
        }
    }

    fn int(&self, name: &str) -> Result<i64, sqlx::Error> {
        match self.value(name)? {
            Value::Integer(n) => Ok(*n),
            other => Err(Self::mismatch(name, other)),
        }
    }

    fn int32(&self, name: &str) -> Result<i32, sqlx::Error> {
        i32::try_from(self.int(name)?).map_err(|e| sqlx::Error::Decode(e.into()))
    }

    fn text(&self, name: &str) -> Result<String, sqlx::Error> {
        self.opt_text(name)?
            .ok_or_else(|| Self::mismatch(name, &Value::Null))
    }

    fn opt_text(&self, name: &str) -> Result<Option<String>, sqlx::Error> {
        match self.value(name)? {
            Value::Null => Ok(None),
            Value::Text(text) => Ok(Some(text.clone())),
            other => Err(Self::mismatch(name, other)),
        }
    }
}

/// Rows read through sqlx, by either backend.
macro_rules! sqlx_columns {
    ($($row:ty),*) => {$(
        impl Columns for $row {
            fn uuid(&self, name: &str) -> Result<Uuid, sqlx::Error> {
                sqlx::Row::try_get(self, name)
            }
            fn opt_uuid(&self, name: &str) -> Result<Option<Uuid>, sqlx::Error> {
                sqlx::Row::try_get(self, name)
            }
            fn int(&self, name: &str) -> Result<i64, sqlx::Error> {
                sqlx::Row::try_get(self, name)
            }
            fn int32(&self, name: &str) -> Result<i32, sqlx::Error> {
                sqlx::Row::try_get(self, name)
            }
            fn text(&self, name: &str) -> Result<String, sqlx::Error> {
                sqlx::Row::try_get(self, name)
            }
            fn opt_text(&self, name: &str) -> Result<Option<String>, sqlx::Error> {
                sqlx::Row::try_get(self, name)
            }
        }
    )*};
}
sqlx_columns!(sqlx::postgres::PgRow, sqlx::sqlite::SqliteRow);
