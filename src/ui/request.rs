//! Per-request state the UI keeps: where a request stands ([`Requested`]) and the handle
//! whose drop cancels it ([`RequestHandle`]).

use tokio_util::sync::DropGuard;

use crate::error::Result;
use crate::progress::CancellationToken;

/// Keeps a request alive; dropping it cancels the request's task.
#[derive(Debug)]
pub struct RequestHandle {
    token: CancellationToken,
    _guard: DropGuard,
}

impl RequestHandle {
    /// A fresh handle and the token its task watches.
    pub fn new() -> (Self, CancellationToken) {
        let token = CancellationToken::new();
        let handle = Self {
            token: token.clone(),
            _guard: token.clone().drop_guard(),
        };
        (handle, token)
    }

    /// Cancels the task now (dropping does the same).
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

/// Where one request stands, as the UI keeps it.
#[derive(Debug, Default)]
pub enum Requested<T> {
    #[default]
    NotAsked,
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Requested<T> {
    /// The value, when it has arrived.
    pub fn ready(&self) -> Option<&T> {
        match self {
            Self::Ready(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, Self::Loading)
    }

    /// Stores a result.
    pub fn set(&mut self, result: Result<T>) {
        *self = match result {
            Ok(value) => Self::Ready(value),
            Err(err) => Self::Failed(super::remedy::Problem::from(&err).summary),
        };
    }
}
