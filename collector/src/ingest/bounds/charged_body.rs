//! A request body that charges the decoding budget as its bytes arrive,
//! for receivers that hand the body to a decoder they do not drive (tonic
//! reads and decodes a gRPC message itself). The charge is shared with the
//! handler through the request's extensions ([`SharedCharge`]), so the
//! bytes stay charged until the records are queued, not only while they
//! are read.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Buf;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::Mutex;

use super::budget::{Charge, DecodeBudget};
use crate::ingest::IngestError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One request's charge, held by its body while it is read and by the
/// handler after.
#[derive(Clone)]
pub struct SharedCharge(Arc<Mutex<Charge>>);

impl SharedCharge {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(DecodeBudget::charge())))
    }

    /// Charges `bytes` more (the decoded message), waiting as
    /// [`Charge::grow`] does.
    pub async fn grow(&self, bytes: usize) -> Result<(), IngestError> {
        self.0.lock().await.grow(bytes).await
    }
}

impl Default for SharedCharge {
    fn default() -> Self {
        Self::new()
    }
}

type Growing = Pin<Box<dyn Future<Output = Result<(), IngestError>> + Send>>;

/// `inner`, each data frame charged to `charge` before it is passed on.
pub struct ChargedBody<B: HttpBody> {
    inner: B,
    charge: SharedCharge,
    /// A frame waiting for room in the budget.
    waiting: Option<(Frame<B::Data>, Growing)>,
}

impl<B: HttpBody> ChargedBody<B> {
    pub fn new(inner: B, charge: SharedCharge) -> Self {
        Self {
            inner,
            charge,
            waiting: None,
        }
    }
}

impl<B> HttpBody for ChargedBody<B>
where
    B: HttpBody + Unpin,
    B::Data: Buf + Send + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, BoxError>>> {
        let this = &mut *self;
        if this.waiting.is_none() {
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            };
            let bytes = frame.data_ref().map_or(0, Buf::remaining);
            if bytes == 0 {
                return Poll::Ready(Some(Ok(frame)));
            }
            let charge = this.charge.clone();
            this.waiting = Some((frame, Box::pin(async move { charge.grow(bytes).await })));
        }
        let Some((_, growing)) = &mut this.waiting else {
            return Poll::Pending;
        };
        match growing.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                let Some((frame, _)) = this.waiting.take() else {
                    return Poll::Pending;
                };
                // The refusal as a gRPC status: tonic answers a body error
                // that carries one with it as it is.
                Poll::Ready(Some(
                    result
                        .map(|()| frame)
                        .map_err(|error| Box::new(error.grpc_status()) as BoxError),
                ))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.waiting.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    #[tokio::test]
    async fn frames_are_charged_and_passed_on() {
        let charge = SharedCharge::new();
        let body = ChargedBody::new(
            Full::new(bytes::Bytes::from_static(b"abcdef")),
            charge.clone(),
        );
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"abcdef");
        assert_eq!(charge.0.lock().await.bytes(), 6);
    }
}
