//! The browser OTLP receiver: OTLP/HTTP's receiver for signal `S`, with
//! what a page's export needs besides (see the module doc): its own body
//! bound, the layer claims counted, and Web Vitals stored as vitals.

use std::sync::Arc;

use axum::response::Response;

use super::vitals::take_vitals;
use crate::ingest::edge::BodyLimits;
use crate::ingest::otlp::{Accepted, Logs, Otlp, OtlpHttp, Signal, Traces};
use crate::ingest::receiver::{Incoming, Receiver};
use crate::ingest::rum::{Rum, RumReceiver};
use crate::ingest::IngestError;
use crate::model::{Attributes, Layer, Resource};
use crate::telemetry::outcome::Signal as Records;
use crate::telemetry::{IngestStats, Receiver as ReceiverName};

/// What a signal's records say about where they came from.
pub(crate) trait FromPages: Signal {
    /// The records' name in the metrics.
    const RECORDS: Records;

    /// How many records' resources claimed a layer other than the browser's.
    fn claiming_other_layers(judged: &Self::Judged) -> u64;

    /// Every URL among the records' attributes (and their events')
    /// passed through `scrub`.
    fn scrub_urls(judged: &mut Self::Judged, scrub: impl Fn(&mut Attributes));

    /// Takes out the records that are Web Vitals, as a RUM batch (`None`:
    /// there were none).
    fn take_vitals(
        judged: &mut Self::Judged,
        received_millis: i64,
    ) -> Option<crate::ingest::rum::decode::Decoded> {
        let _ = (judged, received_millis);
        None
    }
}

/// Whether a resource said it was another layer than the browser.
fn claims_other_layer(resource: &Resource) -> bool {
    resource.attributes.iter().any(|(key, value)| {
        key == Layer::RESOURCE_ATTRIBUTE
            && matches!(value, crate::model::AttributeValue::String(layer)
                if layer.parse::<Layer>().is_ok_and(|layer| layer != Layer::Browser))
    })
}

impl FromPages for Traces {
    const RECORDS: Records = Records::Spans;

    fn claiming_other_layers(judged: &Self::Judged) -> u64 {
        let spans = judged.spans.iter();
        spans
            .filter(|span| claims_other_layer(&span.resource))
            .count() as u64
    }

    fn scrub_urls(judged: &mut Self::Judged, scrub: impl Fn(&mut Attributes)) {
        for span in &mut judged.spans {
            scrub(&mut span.attributes);
            for event in &mut span.events {
                scrub(&mut event.attributes);
            }
        }
    }
}

impl FromPages for Logs {
    const RECORDS: Records = Records::LogRecords;

    fn claiming_other_layers(judged: &Self::Judged) -> u64 {
        let records = judged.records.iter();
        let claiming = records.filter(|record| claims_other_layer(&record.origin.resource));
        claiming.count() as u64
    }

    fn scrub_urls(judged: &mut Self::Judged, scrub: impl Fn(&mut Attributes)) {
        for record in &mut judged.records {
            scrub(&mut record.attributes);
        }
    }

    fn take_vitals(
        judged: &mut Self::Judged,
        received_millis: i64,
    ) -> Option<crate::ingest::rum::decode::Decoded> {
        take_vitals(&mut judged.records, received_millis)
    }
}

/// OTLP/HTTP from pages, for signal `S`.
pub(super) struct BrowserOtlp<S> {
    otlp: OtlpHttp<S>,
    rum: RumReceiver,
    limits: BodyLimits,
}

impl<S> Clone for BrowserOtlp<S> {
    fn clone(&self) -> Self {
        Self {
            otlp: self.otlp.clone(),
            rum: self.rum.clone(),
            limits: self.limits,
        }
    }
}

impl<S> BrowserOtlp<S> {
    pub(super) fn new(otlp: Otlp, rum: &Rum) -> Self {
        Self {
            otlp: OtlpHttp::new(otlp),
            rum: rum.receiver(),
            limits: rum.sdk_body_limits(),
        }
    }
}

impl<S: FromPages> Receiver for BrowserOtlp<S> {
    const NAME: ReceiverName = ReceiverName::BrowserOtlp;
    const EMPTY_BODY_IS_EMPTY_REQUEST: bool = true;
    type Format = <OtlpHttp<S> as Receiver>::Format;
    type Decoded = S::Judged;
    type Accepted = Accepted;

    fn stats(&self) -> &IngestStats {
        self.otlp.stats()
    }

    fn body_limits(&self) -> BodyLimits {
        self.limits
    }

    fn admit(&self, incoming: &Incoming) -> Result<Self::Format, IngestError> {
        self.otlp.admit(incoming)
    }

    async fn wait_for_room(&self) -> Result<(), IngestError> {
        self.otlp.wait_for_room().await
    }

    fn decode(
        &self,
        incoming: &Incoming,
        format: Self::Format,
        body: &[u8],
    ) -> Result<S::Judged, IngestError> {
        self.otlp.decode(incoming, format, body)
    }

    /// Vitals first: when their queue stays full the request is refused
    /// before any of it is stored, so the page's retry loses nothing and
    /// doubles nothing.
    async fn accept(
        &self,
        incoming: &Incoming,
        mut judged: S::Judged,
    ) -> Result<Accepted, IngestError> {
        S::scrub_urls(&mut judged, |attributes| self.rum.scrub_urls(attributes));
        let overridden = S::claiming_other_layers(&judged);
        self.stats()
            .browser_layer_overridden(S::RECORDS, overridden);
        let vitals = match S::take_vitals(&mut judged, incoming.received_at_millis) {
            Some(mut decoded) => {
                let context = self.rum.context_of(&mut decoded, incoming)?;
                Some(
                    self.rum
                        .accept(incoming, (decoded, Arc::clone(&context)))
                        .await?,
                )
            }
            None => None,
        };
        let mut accepted = self.otlp.accept(incoming, judged).await?;
        if let Some(vitals) = vitals {
            accepted.rejected += vitals.rejected;
            if accepted.message.is_none() {
                accepted.message = vitals.errors.into_iter().next();
            }
        }
        Ok(accepted)
    }

    fn answer(&self, format: Self::Format, accepted: Accepted) -> Response {
        self.otlp.answer(format, accepted)
    }

    fn refusal(&self, format: Option<Self::Format>, error: &IngestError) -> Response {
        self.otlp.refusal(format, error)
    }
}
