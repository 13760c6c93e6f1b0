//! The helper's side of the OS keychain: the secret of a key kept there, read to sign a call
//! (it goes no further than this process), and the operations `awsenv add`, `remove`,
//! `import credentials`, `rotate` and `doctor` ask for. Each runs on a thread with a deadline:
//! a keychain that hangs, or waits for a person who is not there, must not hold awsenv.

use awsenv::aws::wire::{Failure, KeychainOp, KeychainRequest, Reason, Reply, Request};
use awsenv::secret::Secret;
use awsenv_keychain::{Error, Keychain};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a keychain that asks a person to unlock it may wait for them.
const PERSON: Duration = Duration::from_secs(120);

/// The secret of `id`, for `request`'s call.
pub fn secret(id: &str, request: &Request) -> Result<Secret, Failure> {
    let wanted = id.to_owned();
    let got = bounded(
        request.interactive,
        request.timeout_secs,
        request.debug,
        "read",
        move |keychain| keychain.get(&wanted),
    )?;
    got.map(Secret::new).ok_or_else(|| Failure {
        reason: Reason::KeychainMissing,
        ..failure(format!("{} has no item for {id}", Keychain::NAME))
    })
}

pub fn answer(request: &KeychainRequest) -> Reply {
    let (interactive, secs, debug) = (request.interactive, request.timeout_secs, request.debug);
    let answered = match &request.op {
        KeychainOp::Status => bounded(interactive, secs, debug, "status", |keychain| {
            Ok(Reply::Keychain {
                locked: keychain.locked()?,
                ids: keychain.list()?,
            })
        }),
        KeychainOp::Set {
            access_key_id,
            secret_access_key,
            label,
        } => {
            let (id, secret, label) = (
                access_key_id.clone(),
                secret_access_key.clone(),
                label.clone(),
            );
            bounded(interactive, secs, debug, "store", move |keychain| {
                keychain.set(&id, secret.expose(), &label)?;
                Ok(Reply::Done)
            })
        }
        KeychainOp::Delete { access_key_id } => {
            let id = access_key_id.clone();
            bounded(interactive, secs, debug, "delete", move |keychain| {
                keychain.delete(&id).map(Reply::Deleted)
            })
        }
    };
    answered.unwrap_or_else(Reply::Failed)
}

/// Opens the keychain and runs `op` on a thread, waiting at most the call's timeout, or two
/// minutes when a person may be typing a password to unlock it.
fn bounded<T: Send + 'static>(
    interactive: bool,
    secs: u64,
    debug: bool,
    what: &str,
    op: impl FnOnce(&Keychain) -> Result<T, Error> + Send + 'static,
) -> Result<T, Failure> {
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Keychain::open(interactive).and_then(|keychain| op(&keychain)));
    });
    let limit = Duration::from_secs(secs.max(1));
    let limit = if interactive {
        limit.max(PERSON)
    } else {
        limit
    };
    let outcome = rx.recv_timeout(limit);
    if debug {
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let said = match &outcome {
            Ok(Ok(_)) => "ok".to_owned(),
            Ok(Err(e)) => format!("failed ({e})"),
            Err(_) => "gave no answer".to_owned(),
        };
        eprintln!("awsenv-aws: debug keychain {what} {said} in {ms:.1}ms");
    }
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Failure {
            reason: match e {
                Error::Unreachable(_) => Reason::KeychainUnreachable,
                Error::Locked(_) => Reason::KeychainLocked,
                Error::Failed(_) => Reason::KeychainFailed,
            },
            ..failure(e.to_string())
        }),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Failure {
            reason: Reason::KeychainUnreachable,
            ..failure(format!(
                "{} gave no answer within {}s",
                Keychain::NAME,
                limit.as_secs()
            ))
        }),
        // The thread panicked; the hook said where.
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(failure(format!(
            "the {what} in {} stopped with an internal error",
            Keychain::NAME
        ))),
    }
}

fn failure(message: String) -> Failure {
    Failure {
        reason: Reason::Other,
        code: None,
        message,
        status: None,
        via_proxy: false,
        endpoint: None,
    }
}
