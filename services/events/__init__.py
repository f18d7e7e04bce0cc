"""Events: the envelope, the Avro schema catalogue and the binary codec."""

from services.events.envelope import Envelope, Event, EventFactory, Producer
from services.events.schemas import EventSchema, SchemaCatalog

__all__ = ["Envelope", "Event", "EventFactory", "EventSchema", "Producer", "SchemaCatalog"]
