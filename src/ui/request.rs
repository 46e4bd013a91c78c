//! A request is a value the view that asked owns: it holds the receiving end of the task's
//! answer and a guard that cancels the task when dropped. The view polls it each frame; an
//! answer nobody waits for any more (the view moved on and dropped the request) has nowhere to
//! go, so nothing needs to tell stale answers apart. (rerun's `RequestedObject`, egui's
//! `http_app` show the same style.)

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::DropGuard;

use crate::progress::CancellationToken;

use super::remedy::Problem;
use crate::error::Result;

/// A task's answer on its way. Dropping it cancels the task.
#[derive(Debug)]
pub struct Request<T> {
    rx: oneshot::Receiver<Result<T>>,
    /// The token the work was handed: cancelled, the work stops on its own and answers.
    stop: CancellationToken,
    _cancel: DropGuard,
}

impl<T> Request<T> {
    pub(super) fn new(
        rx: oneshot::Receiver<Result<T>>,
        stop: CancellationToken,
        cancel: DropGuard,
    ) -> Self {
        Self {
            rx,
            stop,
            _cancel: cancel,
        }
    }

    /// Asks the work to stop the way it stops on its own (a transfer aborts what it started,
    /// as Ctrl-C does on the command line), and keeps waiting for its answer. Dropping the
    /// request instead drops the work at its next await, as a killed process would.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// The answer, once it has come (a task that stopped without one is reported as such).
    /// For views that keep many requests in a map; one request is best kept in [`Requested`].
    pub fn try_take(&mut self) -> Option<Result<T>> {
        match self.rx.try_recv() {
            Ok(answer) => Some(answer),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(Err(crate::Error::Cancelled)),
        }
    }
}

/// Where one request stands, as a view keeps it next to the field it fills.
#[derive(Debug, Default)]
pub enum Requested<T> {
    #[default]
    NotAsked,
    Pending(Request<T>),
    Ready(T),
    Failed(Problem),
}

impl<T> Requested<T> {
    /// Takes the answer if it has come. Returns true on the frame it arrives.
    pub fn poll(&mut self) -> bool {
        let Self::Pending(request) = self else {
            return false;
        };
        let Some(answer) = request.try_take() else {
            return false;
        };
        *self = match answer {
            Ok(value) => Self::Ready(value),
            Err(err) => Self::Failed(Problem::from(err)),
        };
        true
    }

    /// The value, when it has arrived.
    pub fn ready(&self) -> Option<&T> {
        match self {
            Self::Ready(value) => Some(value),
            _ => None,
        }
    }

    /// What went wrong, when it failed.
    pub fn failed(&self) -> Option<&Problem> {
        match self {
            Self::Failed(problem) => Some(problem),
            _ => None,
        }
    }

    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending(_))
    }

    pub fn is_not_asked(&self) -> bool {
        matches!(self, Self::NotAsked)
    }
}

/// A task that answers many times (pages of a listing), then ends. Dropping it cancels the
/// task.
#[derive(Debug)]
pub struct Streamed<T> {
    rx: mpsc::Receiver<Result<T>>,
    /// `None` while items may still come; the end (Ok) or the error that ended it.
    end: Option<std::result::Result<(), Problem>>,
    _cancel: DropGuard,
}

impl<T> Streamed<T> {
    pub(super) fn new(rx: mpsc::Receiver<Result<T>>, cancel: DropGuard) -> Self {
        Self {
            rx,
            end: None,
            _cancel: cancel,
        }
    }

    /// The items that arrived since the last poll (at most `max`, so one frame stays short).
    pub fn poll(&mut self, max: usize) -> Vec<T> {
        let mut items = Vec::new();
        while self.end.is_none() && items.len() < max {
            match self.rx.try_recv() {
                Ok(Ok(item)) => items.push(item),
                Ok(Err(err)) => self.end = Some(Err(Problem::from(err))),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => self.end = Some(Ok(())),
            }
        }
        items
    }

    /// Whether more may come.
    pub fn is_running(&self) -> bool {
        self.end.is_none()
    }

    /// The problem that ended it early, if any.
    pub fn problem(&self) -> Option<&Problem> {
        self.end.as_ref().and_then(|e| e.as_ref().err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair<T>() -> (oneshot::Sender<Result<T>>, Request<T>, CancellationToken) {
        let (tx, rx) = oneshot::channel();
        let token = CancellationToken::new();
        let request = Request::new(rx, token.child_token(), token.clone().drop_guard());
        (tx, request, token)
    }

    #[test]
    fn a_request_is_polled_into_its_answer() {
        let (tx, request, _) = pair::<u32>();
        let mut requested = Requested::Pending(request);
        assert!(!requested.poll());
        tx.send(Ok(7)).unwrap();
        assert!(requested.poll());
        assert_eq!(requested.ready(), Some(&7));
        assert!(!requested.poll(), "only once");
    }

    #[test]
    fn dropping_a_request_cancels_its_task_and_a_lost_task_is_reported() {
        let (tx, request, token) = pair::<u32>();
        drop(request);
        assert!(token.is_cancelled());
        drop(tx);
        let (tx, request, _) = pair::<u32>();
        let mut requested = Requested::Pending(request);
        drop(tx);
        assert!(requested.poll());
        assert!(requested.failed().is_some());
    }

    #[test]
    fn a_stream_yields_items_then_its_end() {
        let (tx, rx) = mpsc::channel(8);
        let token = CancellationToken::new();
        let mut stream = Streamed::new(rx, token.clone().drop_guard());
        tx.try_send(Ok(1)).unwrap();
        tx.try_send(Ok(2)).unwrap();
        tx.try_send(Ok(3)).unwrap();
        assert_eq!(stream.poll(2), vec![1, 2]);
        assert_eq!(stream.poll(10), vec![3]);
        assert!(stream.is_running());
        tx.try_send(Err(crate::Error::NoRegion)).unwrap();
        assert!(stream.poll(10).is_empty());
        assert!(!stream.is_running());
        assert!(stream.problem().is_some());
        drop(stream);
        assert!(token.is_cancelled());
    }
}
