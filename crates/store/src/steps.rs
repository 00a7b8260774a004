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
    OptUuid(Option<Uuid>),
    Int(i64),
    /// For INTEGER columns (PostgreSQL's INT), such as a slice's number.
    Int32(i32),
    Text(&'a str),
    OptText(Option<&'a str>),
    OptInt(Option<i64>),
    Bool(bool),
    /// BYTEA in PostgreSQL, a BLOB in SQLite.
    Bytes(&'a [u8]),
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
    fn opt_int(&self, name: &str) -> Result<Option<i64>, sqlx::Error>;
    fn int32(&self, name: &str) -> Result<i32, sqlx::Error>;
    fn text(&self, name: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, name: &str) -> Result<Option<String>, sqlx::Error>;
    fn bytes(&self, name: &str) -> Result<Vec<u8>, sqlx::Error>;
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
///
/// Parameters are bound by their number (`$3` takes the third argument), wherever they first
/// appear in the text, as sqlx does. A text of several statements separated by `;` (what a
/// backend sends in one round trip through sqlx, such as SQLite's `START_PAYING`) runs
/// statement by statement, each given the parameters it names: such a text must keep `;` out of
/// its literals.
pub(crate) struct Raw<'c>(pub &'c rusqlite::Connection);

impl Raw<'_> {
    /// The statement `sql`, prepared once per connection, with `args` bound to it.
    fn bound(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<rusqlite::CachedStatement<'_>, sqlx::Error> {
        let mut statement = self.0.prepare_cached(sql).map_err(raw_error)?;
        for index in 1..=statement.parameter_count() {
            let arg = statement
                .parameter_name(index)
                .and_then(|name| name.strip_prefix('$'))
                .and_then(|number| number.parse::<usize>().ok())
                .and_then(|number| args.get(number.checked_sub(1)?))
                .ok_or_else(|| {
                    sqlx::Error::Protocol(format!(
                        "parameter {index} of a statement has no argument: {sql}"
                    ))
                })?;
            statement
                .raw_bind_parameter(index, arg)
                .map_err(raw_error)?;
        }
        Ok(statement)
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        // As sqlx's SQLite driver stores them: ids as 16-byte BLOBs.
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Uuid(id) | Arg::OptUuid(Some(id)) => ValueRef::Blob(id.as_bytes()),
            Arg::Int(n) => ValueRef::Integer(*n),
            Arg::Int32(n) => ValueRef::Integer(i64::from(*n)),
            Arg::Text(text) | Arg::OptText(Some(text)) => ValueRef::Text(text.as_bytes()),
            Arg::OptInt(Some(n)) => ValueRef::Integer(*n),
            Arg::OptText(None) | Arg::OptInt(None) | Arg::OptUuid(None) => ValueRef::Null,
            // As sqlx stores a bool.
            Arg::Bool(yes) => ValueRef::Integer(i64::from(*yes)),
            Arg::Bytes(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

impl Steps for Raw<'_> {
    type Row = RawRow;

    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        // Rows changed by every statement of the text, as sqlx counts them.
        let mut changed = 0;
        for one in sql.split(';').map(str::trim).filter(|one| !one.is_empty()) {
            changed += self.bound(one, args)?.raw_execute().map_err(raw_error)? as u64;
        }
        Ok(changed)
    }

    async fn fetch_all(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<RawRow>, sqlx::Error> {
        let mut statement = self.bound(sql, args)?;
        let names: Arc<HashMap<String, usize>> = Arc::new(
            statement
                .column_names()
                .into_iter()
                .enumerate()
                .map(|(at, name)| (name.to_owned(), at))
                .collect(),
        );
        let width = names.len();
        let mut rows = statement.raw_query();
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
        self.opt_int(name)?
            .ok_or_else(|| Self::mismatch(name, &Value::Null))
    }

    fn opt_int(&self, name: &str) -> Result<Option<i64>, sqlx::Error> {
        match self.value(name)? {
            Value::Null => Ok(None),
            Value::Integer(n) => Ok(Some(*n)),
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

    fn bytes(&self, name: &str) -> Result<Vec<u8>, sqlx::Error> {
        match self.value(name)? {
            Value::Blob(bytes) => Ok(bytes.clone()),
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
            fn opt_int(&self, name: &str) -> Result<Option<i64>, sqlx::Error> {
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
            fn bytes(&self, name: &str) -> Result<Vec<u8>, sqlx::Error> {
                sqlx::Row::try_get(self, name)
            }
        }
    )*};
}
sqlx_columns!(sqlx::postgres::PgRow, sqlx::sqlite::SqliteRow);

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> rusqlite::Connection {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c BLOB, d INTEGER)")
            .unwrap();
        db
    }

    #[test]
    fn parameters_are_bound_by_their_number_in_every_statement_of_a_text() {
        let db = table();
        let raw = &mut Raw(&db);
        let bytes = [7u8, 8];
        // `$2` comes first in the insert, and the update names only two of the four.
        let changed = run_ready(raw.execute(
            "INSERT INTO t (b, a, c, d) VALUES ($2, $1, $3, $4);\n\
             UPDATE t SET d = d + 1 WHERE a = $1 AND b = $2;",
            &[
                Arg::Int(5),
                Arg::Text("five"),
                Arg::Bytes(&bytes),
                Arg::OptInt(None),
            ],
        ))
        .unwrap();
        assert_eq!(changed, 2);
        let rows = run_ready(raw.fetch_all(
            "SELECT a, b, c, d FROM t WHERE b = $2 AND a = $1",
            &[Arg::Int(5), Arg::OptText(Some("five"))],
        ))
        .unwrap();
        let [row] = rows.as_slice() else {
            panic!("one row")
        };
        assert_eq!(row.int("a").ok(), Some(5));
        assert_eq!(row.text("b").ok().as_deref(), Some("five"));
        assert_eq!(row.bytes("c").ok(), Some(bytes.to_vec()));
        // NULL + 1 stays NULL: the update ran with the insert's parameters it names.
        assert!(matches!(row.value("d"), Ok(Value::Null)));
    }

    #[test]
    fn a_parameter_without_its_argument_is_an_error_not_a_null() {
        let db = table();
        let raw = &mut Raw(&db);
        let missing = run_ready(raw.execute(
            "INSERT INTO t (a, b) VALUES ($1, $3)",
            &[Arg::Int(1), Arg::Text("two")],
        ));
        assert!(missing.is_err(), "{missing:?}");
        let none = run_ready(raw.fetch_all("SELECT a FROM t", &[])).unwrap();
        assert!(none.is_empty());
    }
}
