//! One small query layer over two drivers: SQLite through `rusqlite`, run
//! inline on the calling thread, and PostgreSQL through sqlx's native driver.
//!
//! Why not sqlx for SQLite too: its driver runs every connection on a thread of
//! its own and moves each statement and row across a channel, which cost
//! ~60 µs per statement on the benchmark machine while SQLite itself answers an
//! indexed lookup in a few µs (docs/benchmarks.md). SQLite statements of a use
//! case are short and local, so running them on the calling thread is cheaper
//! than any hand-off; the few long reads (the analytics engine's rebuild) go
//! through [`QueryAs::fetch_each`], which steps off the async worker.
//!
//! The SQL text is the same for both: `$1`, `$2`, … placeholders (SQLite
//! treats `$N` as a named parameter; we bind it by its number). Rows decode
//! through serde: a struct by column names (`#[serde(default)]` for columns a
//! query may leave out), a tuple by position, a scalar from the first column.

use std::borrow::Cow;
use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::TryStreamExt;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Arguments, Column, Row, TypeInfo, ValueRef};

use crate::DbError;

/// A connection of either backend, owned by a pool guard or a transaction.
pub struct Conn {
    pub(crate) inner: Inner,
    /// SQLite's `PRAGMA data_version` when this connection last looked (see `Db::generation`).
    pub(crate) seen_version: i64,
}

pub(crate) enum Inner {
    Lite(rusqlite::Connection),
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.inner {
            Inner::Lite(_) => "Conn(sqlite)",
            Inner::Pg(_) => "Conn(postgres)",
        })
    }
}

impl Conn {
    pub fn is_sqlite(&self) -> bool {
        matches!(self.inner, Inner::Lite(_))
    }

    /// Runs a script of several statements without parameters (migrations, pragmas).
    pub async fn execute_batch(&mut self, sql: &str) -> Result<(), DbError> {
        match &mut self.inner {
            Inner::Lite(c) => Ok(c.execute_batch(sql)?),
            Inner::Pg(c) => Ok(pg_batch(c, sql).await?),
        }
    }
}

/// The type a NULL argument carries: PostgreSQL infers parameter types from it.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Int,
    Real,
    Text,
    Bool,
    Blob,
}

/// One bound argument.
#[derive(Debug, Clone)]
pub enum Arg<'q> {
    Null(Ty),
    Int(i64),
    Real(f64),
    Text(Cow<'q, str>),
    Bool(bool),
    Blob(Cow<'q, [u8]>),
}

/// A value that can be bound to a placeholder.
pub trait Encode<'q> {
    const TY: Ty;
    fn encode(self) -> Arg<'q>;
}

macro_rules! encode_int {
    ($($t:ty),*) => {$(
        impl<'q> Encode<'q> for $t {
            const TY: Ty = Ty::Int;
            fn encode(self) -> Arg<'q> { Arg::Int(self as i64) }
        }
        impl<'q> Encode<'q> for &$t {
            const TY: Ty = Ty::Int;
            fn encode(self) -> Arg<'q> { Arg::Int(*self as i64) }
        }
    )*};
}
encode_int!(i64, i32, u32, i16, u8);

impl<'q> Encode<'q> for f64 {
    const TY: Ty = Ty::Real;
    fn encode(self) -> Arg<'q> {
        Arg::Real(self)
    }
}
impl<'q> Encode<'q> for bool {
    const TY: Ty = Ty::Bool;
    fn encode(self) -> Arg<'q> {
        Arg::Bool(self)
    }
}
impl<'q> Encode<'q> for &'q str {
    const TY: Ty = Ty::Text;
    fn encode(self) -> Arg<'q> {
        Arg::Text(Cow::Borrowed(self))
    }
}
impl<'q> Encode<'q> for &'q String {
    const TY: Ty = Ty::Text;
    fn encode(self) -> Arg<'q> {
        Arg::Text(Cow::Borrowed(self.as_str()))
    }
}
impl<'q> Encode<'q> for String {
    const TY: Ty = Ty::Text;
    fn encode(self) -> Arg<'q> {
        Arg::Text(Cow::Owned(self))
    }
}
impl<'q> Encode<'q> for &'q [u8] {
    const TY: Ty = Ty::Blob;
    fn encode(self) -> Arg<'q> {
        Arg::Blob(Cow::Borrowed(self))
    }
}
impl<'q> Encode<'q> for Vec<u8> {
    const TY: Ty = Ty::Blob;
    fn encode(self) -> Arg<'q> {
        Arg::Blob(Cow::Owned(self))
    }
}
impl<'q, T: Encode<'q>> Encode<'q> for Option<T> {
    const TY: Ty = T::TY;
    fn encode(self) -> Arg<'q> {
        match self {
            Some(v) => v.encode(),
            None => Arg::Null(T::TY),
        }
    }
}
impl<'q> Encode<'q> for &'q Option<String> {
    const TY: Ty = Ty::Text;
    fn encode(self) -> Arg<'q> {
        self.as_deref().encode()
    }
}

/// What `execute` reports.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows: u64,
}

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}

/// A statement with its arguments; `O` is how rows decode (see the constructors).
#[must_use = "a query does nothing until it is executed or fetched"]
pub struct Query<'q, O> {
    sql: &'q str,
    args: Vec<Arg<'q>>,
    _out: PhantomData<fn() -> O>,
}

/// Rows decode as a whole (struct by column name, tuple by position).
pub struct Whole<T>(PhantomData<T>);
/// Rows decode from their first column only.
pub struct First<T>(PhantomData<T>);

pub type QueryAs<'q, T> = Query<'q, Whole<T>>;
pub type QueryScalar<'q, T> = Query<'q, First<T>>;

pub fn query(sql: &str) -> Query<'_, Whole<()>> {
    Query { sql, args: Vec::new(), _out: PhantomData }
}

pub fn query_as<T: DeserializeOwned>(sql: &str) -> QueryAs<'_, T> {
    Query { sql, args: Vec::new(), _out: PhantomData }
}

pub fn query_scalar<T: DeserializeOwned>(sql: &str) -> QueryScalar<'_, T> {
    Query { sql, args: Vec::new(), _out: PhantomData }
}

/// How a row turns into `Self::Out`.
pub trait Decoder {
    type Out;
    fn decode<R: RowAccess>(row: &R) -> Result<Self::Out, DbError>;
}

impl<T: DeserializeOwned> Decoder for Whole<T> {
    type Out = T;
    fn decode<R: RowAccess>(row: &R) -> Result<T, DbError> {
        T::deserialize(RowDe { row })
    }
}

impl<T: DeserializeOwned> Decoder for First<T> {
    type Out = T;
    fn decode<R: RowAccess>(row: &R) -> Result<T, DbError> {
        if row.columns() == 0 {
            return Err(DbError::Decode("the statement returned no columns".into()));
        }
        T::deserialize(ValDe(row.value(0)?))
    }
}

impl<'q, O> Query<'q, O> {
    pub fn bind<A: Encode<'q>>(mut self, a: A) -> Self {
        self.args.push(a.encode());
        self
    }

    /// Binds `$1, $2, …` in order from a tuple: `.binds((id, name, now))`.
    pub fn binds<B: Binds<'q>>(mut self, b: B) -> Self {
        b.push_to(&mut self.args);
        self
    }
}

/// A tuple of arguments, bound in order (see [`Query::binds`]).
pub trait Binds<'q> {
    fn push_to(self, args: &mut Vec<Arg<'q>>);
}

macro_rules! binds_tuple {
    ($($a:ident),+) => {
        impl<'q, $($a: Encode<'q>),+> Binds<'q> for ($($a,)+) {
            #[allow(non_snake_case)]
            fn push_to(self, args: &mut Vec<Arg<'q>>) {
                let ($($a,)+) = self;
                $(args.push($a.encode());)+
            }
        }
    };
}
binds_tuple!(A, B);
binds_tuple!(A, B, C);
binds_tuple!(A, B, C, D);
binds_tuple!(A, B, C, D, E);
binds_tuple!(A, B, C, D, E, F);
binds_tuple!(A, B, C, D, E, F, G);
binds_tuple!(A, B, C, D, E, F, G, H);
binds_tuple!(A, B, C, D, E, F, G, H, I);
binds_tuple!(A, B, C, D, E, F, G, H, I, J);
binds_tuple!(A, B, C, D, E, F, G, H, I, J, K);
binds_tuple!(A, B, C, D, E, F, G, H, I, J, K, L);
binds_tuple!(A, B, C, D, E, F, G, H, I, J, K, L, M);
binds_tuple!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);
binds_tuple!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O);
binds_tuple!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P);

impl<'q> Query<'q, Whole<()>> {
    /// Runs the statement, discarding any rows it returns.
    pub async fn execute(self, conn: &mut Conn) -> Result<Done, DbError> {
        match &mut conn.inner {
            Inner::Lite(c) => {
                let mut st = lite_prepare(c, self.sql, &self.args)?;
                let mut rows = st.raw_query();
                while rows.next()?.is_some() {}
                drop(rows);
                Ok(Done { rows: c.changes() })
            }
            Inner::Pg(c) => Ok(Done { rows: pg_execute(c, self.sql, pg_args(self.args)?).await? }),
        }
    }
}

impl<'q, D: Decoder> Query<'q, D> {
    pub async fn fetch_all(self, conn: &mut Conn) -> Result<Vec<D::Out>, DbError> {
        let mut out = Vec::new();
        self.each(conn, usize::MAX, |v| {
            out.push(v);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    pub async fn fetch_optional(self, conn: &mut Conn) -> Result<Option<D::Out>, DbError> {
        let mut out = None;
        self.each(conn, 1, |v| {
            out = Some(v);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    pub async fn fetch_one(self, conn: &mut Conn) -> Result<D::Out, DbError> {
        self.fetch_optional(conn).await?.ok_or(DbError::RowNotFound)
    }

    /// Streams every row into `f` without collecting them: for long reads. On
    /// SQLite inside a multi-threaded runtime the scan leaves the async worker
    /// (`block_in_place`), so other requests keep being served meanwhile.
    pub async fn fetch_each(
        self,
        conn: &mut Conn,
        f: impl FnMut(D::Out) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        match &mut conn.inner {
            Inner::Lite(c) if multi => {
                tokio::task::block_in_place(|| lite_each::<D>(c, self.sql, &self.args, usize::MAX, f))
            }
            _ => self.each(conn, usize::MAX, f).await,
        }
    }

    async fn each(
        self,
        conn: &mut Conn,
        limit: usize,
        mut f: impl FnMut(D::Out) -> Result<(), DbError>,
    ) -> Result<(), DbError> {
        match &mut conn.inner {
            Inner::Lite(c) => lite_each::<D>(c, self.sql, &self.args, limit, f),
            Inner::Pg(c) => {
                let args = pg_args(self.args)?;
                if limit == 1 {
                    if let Some(row) = pg_fetch_optional(c, self.sql, args).await? {
                        f(D::decode(&row)?)?;
                    }
                    return Ok(());
                }
                let mut rows = pg_fetch(c, self.sql, args);
                while let Some(row) = rows.try_next().await? {
                    f(D::decode(&row)?)?;
                }
                Ok(())
            }
        }
    }
}

fn lite_each<D: Decoder>(
    c: &rusqlite::Connection,
    sql: &str,
    args: &[Arg<'_>],
    limit: usize,
    mut f: impl FnMut(D::Out) -> Result<(), DbError>,
) -> Result<(), DbError> {
    let mut st = lite_prepare(c, sql, args)?;
    // Column names once per statement, not once per value (SQLite hands out C
    // strings that rusqlite checks as UTF-8 on every call).
    let names: Vec<String> = st.column_names().into_iter().map(String::from).collect();
    let mut rows = st.raw_query();
    let mut n = 0;
    while n < limit {
        let Some(row) = rows.next()? else { break };
        f(D::decode(&LiteRow { row, names: &names })?)?;
        n += 1;
    }
    Ok(())
}

/// A cached prepared statement with `$N` bound to argument N.
fn lite_prepare<'c>(
    c: &'c rusqlite::Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<rusqlite::CachedStatement<'c>, DbError> {
    let mut st = c.prepare_cached(sql)?;
    for i in 1..=st.parameter_count() {
        let n: usize = st
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| DbError::Decode(format!("placeholder {i} is not of the form $N")))?;
        let arg = args.get(n - 1).ok_or_else(|| DbError::Decode(format!("no argument bound for ${n}")))?;
        st.raw_bind_parameter(i, arg)?;
    }
    Ok(st)
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef as V};
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Null(_) => V::Null,
            Arg::Int(i) => V::Integer(*i),
            Arg::Real(f) => V::Real(*f),
            Arg::Text(s) => V::Text(s.as_bytes()),
            Arg::Bool(b) => V::Integer(*b as i64),
            Arg::Blob(b) => V::Blob(b),
        }))
    }
}

// The PostgreSQL calls sit in boxed futures with one named lifetime: written
// inline in the generic methods above, the compiler cannot prove the futures
// `Send` for every lifetime ("Executor is not general enough").
type PgConn = sqlx::pool::PoolConnection<sqlx::Postgres>;

fn pg_execute<'a>(c: &'a mut PgConn, sql: &'a str, args: PgArguments) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
    Box::pin(async move { Ok(sqlx::query_with(sql, args).execute(&mut **c).await?.rows_affected()) })
}

fn pg_batch<'a>(c: &'a mut PgConn, sql: &'a str) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    let conn: &mut sqlx::PgConnection = c;
    Box::pin(async move { sqlx::Executor::execute(conn, sql).await.map(|_| ()) })
}

fn pg_fetch_optional<'a>(
    c: &'a mut PgConn,
    sql: &'a str,
    args: PgArguments,
) -> BoxFuture<'a, Result<Option<PgRow>, sqlx::Error>> {
    Box::pin(async move { sqlx::query_with(sql, args).fetch_optional(&mut **c).await })
}

fn pg_fetch<'a>(c: &'a mut PgConn, sql: &'a str, args: PgArguments) -> BoxStream<'a, Result<PgRow, sqlx::Error>> {
    sqlx::query_with(sql, args).fetch(&mut **c)
}

fn pg_args(args: Vec<Arg<'_>>) -> Result<PgArguments, DbError> {
    let mut out = PgArguments::default();
    for a in args {
        let r = match a {
            Arg::Null(Ty::Int) => out.add(None::<i64>),
            Arg::Null(Ty::Real) => out.add(None::<f64>),
            Arg::Null(Ty::Text) => out.add(None::<String>),
            Arg::Null(Ty::Bool) => out.add(None::<bool>),
            Arg::Null(Ty::Blob) => out.add(None::<Vec<u8>>),
            Arg::Int(i) => out.add(i),
            Arg::Real(f) => out.add(f),
            Arg::Text(s) => out.add(s.into_owned()),
            Arg::Bool(b) => out.add(b),
            Arg::Blob(b) => out.add(b.into_owned()),
        };
        r.map_err(|e| DbError::Decode(format!("binding an argument: {e}")))?;
    }
    Ok(out)
}

// ---- decoding rows through serde ----

/// One column's value, borrowed from the row.
#[derive(Debug, Clone, Copy)]
pub enum Val<'r> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'r str),
    Bool(bool),
    Blob(&'r [u8]),
}

/// A row of either driver, column by column.
pub trait RowAccess {
    fn columns(&self) -> usize;
    fn name(&self, i: usize) -> Result<&str, DbError>;
    fn value(&self, i: usize) -> Result<Val<'_>, DbError>;
}

/// A SQLite row with its statement's column names.
struct LiteRow<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
}

impl RowAccess for LiteRow<'_, '_> {
    fn columns(&self) -> usize {
        self.names.len()
    }
    fn name(&self, i: usize) -> Result<&str, DbError> {
        Ok(&self.names[i])
    }
    fn value(&self, i: usize) -> Result<Val<'_>, DbError> {
        use rusqlite::types::ValueRef as V;
        Ok(match self.row.get_ref(i)? {
            V::Null => Val::Null,
            V::Integer(i) => Val::Int(i),
            V::Real(f) => Val::Real(f),
            V::Text(t) => Val::Text(std::str::from_utf8(t).map_err(|e| DbError::Decode(e.to_string()))?),
            V::Blob(b) => Val::Blob(b),
        })
    }
}

impl RowAccess for PgRow {
    fn columns(&self) -> usize {
        Row::columns(self).len()
    }
    fn name(&self, i: usize) -> Result<&str, DbError> {
        Ok(Row::columns(self)[i].name())
    }
    fn value(&self, i: usize) -> Result<Val<'_>, DbError> {
        let raw = self.try_get_raw(i)?;
        if raw.is_null() {
            return Ok(Val::Null);
        }
        let ty = raw.type_info().name().to_string();
        Ok(match ty.as_str() {
            "INT8" => Val::Int(self.try_get::<i64, _>(i)?),
            "INT4" => Val::Int(self.try_get::<i32, _>(i)? as i64),
            "INT2" => Val::Int(self.try_get::<i16, _>(i)? as i64),
            "FLOAT8" => Val::Real(self.try_get::<f64, _>(i)?),
            "FLOAT4" => Val::Real(self.try_get::<f32, _>(i)? as f64),
            "BOOL" => Val::Bool(self.try_get::<bool, _>(i)?),
            "BYTEA" => Val::Blob(self.try_get::<&[u8], _>(i)?),
            "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" | "UNKNOWN" => Val::Text(self.try_get::<&str, _>(i)?),
            other => return Err(DbError::Decode(format!("column {i}: unsupported PostgreSQL type {other}"))),
        })
    }
}

impl de::Error for DbError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DbError::Decode(msg.to_string())
    }
}

/// A whole row: a map of column names for structs, a sequence for tuples.
struct RowDe<'a, R> {
    row: &'a R,
}

impl<'de, R: RowAccess> de::Deserializer<'de> for RowDe<'_, R> {
    type Error = DbError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        self.deserialize_map(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        v.visit_map(Columns { row: self.row, i: 0 })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DbError> {
        self.deserialize_map(v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DbError> {
        v.visit_seq(Columns { row: self.row, i: 0 })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        v.visit_seq(Columns { row: self.row, i: 0 })
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit_struct newtype_struct tuple_struct enum identifier ignored_any
    }
}

struct Columns<'a, R> {
    row: &'a R,
    i: usize,
}

impl<'de, R: RowAccess> de::MapAccess<'de> for Columns<'_, R> {
    type Error = DbError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DbError> {
        if self.i >= self.row.columns() {
            return Ok(None);
        }
        let name: &str = self.row.name(self.i)?;
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DbError> {
        let v = self.row.value(self.i)?;
        self.i += 1;
        seed.deserialize(ValDe(v)).map_err(|e| match e {
            DbError::Decode(m) => DbError::Decode(format!("column {}: {m}", self.row.name(self.i - 1).unwrap_or("?"))),
            other => other,
        })
    }
}

impl<'de, R: RowAccess> de::SeqAccess<'de> for Columns<'_, R> {
    type Error = DbError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DbError> {
        if self.i >= self.row.columns() {
            return Ok(None);
        }
        let v = self.row.value(self.i)?;
        self.i += 1;
        seed.deserialize(ValDe(v)).map(Some)
    }
}

/// One column's value. Integers stand in for booleans (0/1 flags) and the
/// other way round, since the two databases disagree on expression types.
struct ValDe<'r>(Val<'r>);

impl<'de> de::Deserializer<'de> for ValDe<'_> {
    type Error = DbError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        match self.0 {
            Val::Null => v.visit_none(),
            Val::Int(i) => v.visit_i64(i),
            Val::Real(f) => v.visit_f64(f),
            Val::Text(s) => v.visit_str(s),
            Val::Bool(b) => v.visit_bool(b),
            Val::Blob(b) => v.visit_bytes(b),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        match self.0 {
            Val::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        match self.0 {
            Val::Int(i) => v.visit_bool(i != 0),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DbError> {
        match self.0 {
            Val::Bool(b) => v.visit_i64(b as i64),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, DbError> {
        v.visit_newtype_struct(self)
    }

    /// Text columns decode into unit enums by name (states, roles), so rows
    /// carry domain enums rather than strings compared later.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DbError> {
        match self.0 {
            Val::Text(s) => v.visit_enum(de::value::StrDeserializer::<DbError>::new(s)),
            _ => self.deserialize_any(v),
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lite() -> Conn {
        Conn { inner: Inner::Lite(rusqlite::Connection::open_in_memory().unwrap()), seen_version: 0 }
    }

    #[derive(serde::Deserialize, Debug, PartialEq, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    enum State {
        Active,
        Banned,
    }

    #[tokio::test]
    async fn text_columns_decode_into_enums() {
        let mut c = lite();
        let got: Vec<(State, Option<State>)> =
            query_as("SELECT 'banned', NULL UNION ALL SELECT 'active', 'active'").fetch_all(&mut c).await.unwrap();
        assert_eq!(got, vec![(State::Banned, None), (State::Active, Some(State::Active))]);
        let bad = query_as::<(State,)>("SELECT 'nope'").fetch_all(&mut c).await.unwrap_err().to_string();
        assert!(bad.contains("nope"), "{bad}");
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Row2 {
        id: i64,
        name: Option<String>,
        flag: bool,
        #[serde(default)]
        absent: String,
    }

    #[tokio::test]
    async fn binds_by_number_and_decodes_structs_tuples_and_scalars() {
        let mut c = lite();
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag BIGINT NOT NULL)").await.unwrap();
        let n = query("INSERT INTO t (flag, name) VALUES ($2, $1), ($2, NULL)")
            .binds(("a", 1i64))
            .execute(&mut c)
            .await
            .unwrap();
        assert_eq!(n.rows_affected(), 2);
        let k: i64 = query_scalar("SELECT $1 * 100 + $2 * 10 + $3")
            .bind(1i64)
            .binds((2i64, 3i64))
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(k, 123, "bind and binds append in order");
        let rows: Vec<Row2> = query_as("SELECT id, name, flag FROM t ORDER BY id").fetch_all(&mut c).await.unwrap();
        assert_eq!(rows[0], Row2 { id: 1, name: Some("a".into()), flag: true, absent: String::new() });
        assert_eq!(rows[1].name, None);
        let t: (i64, Option<String>) =
            query_as("SELECT id, name FROM t WHERE id = $1").bind(2i64).fetch_one(&mut c).await.unwrap();
        assert_eq!(t, (2, None));
        let max: Option<i64> =
            query_scalar("SELECT MAX(id) FROM t WHERE id > $1").bind(5i64).fetch_one(&mut c).await.unwrap();
        assert_eq!(max, None);
        let none: Option<i64> =
            query_scalar("SELECT id FROM t WHERE id = $1").bind(9i64).fetch_optional(&mut c).await.unwrap();
        assert_eq!(none, None);
        assert!(matches!(
            query_scalar::<i64>("SELECT id FROM t WHERE id = 9").fetch_one(&mut c).await,
            Err(DbError::RowNotFound)
        ));
        let bad = query_as::<Row2>("SELECT name AS id, name, flag FROM t").fetch_all(&mut c).await.unwrap_err();
        assert!(bad.to_string().contains("column id"), "{bad}");
    }
}
