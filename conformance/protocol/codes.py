"""The closed vocabularies of SMEV 3: message types, status categories, rejection codes, fault names and reasons.

Plain `str` enums whose values are exactly the XML spellings, so that `Enum(value)` parses a document's text and
`.value` writes it. The simulator imports these too: they are the one list of each vocabulary in the project.
"""

from __future__ import annotations

from enum import StrEnum

from conformance.protocol.namespaces import Version


class MessageType(StrEnum):
    """`MessageMetadata/MessageType`. CANCEL exists only in 1.1."""

    REQUEST = "REQUEST"
    BROADCAST = "BROADCAST"
    RESPONSE = "RESPONSE"
    CANCEL = "CANCEL"

    def allowed_in(self, version: Version) -> bool:
        return self is not MessageType.CANCEL or Version(version) is Version.V1_1


class StatusCategory(StrEnum):
    """`AsyncProcessingStatus/StatusCategory` and `MessageMetadata/Status` of every version (the union).

    Which values a version allows is read from its XSD: `conformance.protocol.schemafacts.status_categories`
    (1.1 has `responseIsDelivered` and lacks `requestIsProcessed`, `responseIsQueued`, ...)."""

    DOES_NOT_EXIST = "doesNotExist"
    REQUEST_IS_QUEUED = "requestIsQueued"
    REQUEST_IS_ACCEPTED_BY_SMEV = "requestIsAcceptedBySmev"
    REQUEST_IS_REJECTED_BY_SMEV = "requestIsRejectedBySmev"
    REQUEST_IS_PROCESSED = "requestIsProcessed"
    UNDER_PROCESSING = "underProcessing"
    RESPONSE_IS_QUEUED = "responseIsQueued"
    RESPONSE_IS_ACCEPTED_BY_SMEV = "responseIsAcceptedBySmev"
    RESPONSE_IS_REJECTED_BY_SMEV = "responseIsRejectedBySmev"
    RESPONSE_IS_PROCESSED = "responseIsProcessed"
    CANCELLED = "cancelled"
    MESSAGE_IS_ARCHIVED = "messageIsArchived"
    MESSAGE_IS_DELIVERED = "messageIsDelivered"
    RESPONSE_IS_DELIVERED = "responseIsDelivered"

    @property
    def is_rejection(self) -> bool:
        """The bus refused the message asynchronously (reported through GetResponse)."""
        return self in (StatusCategory.REQUEST_IS_REJECTED_BY_SMEV, StatusCategory.RESPONSE_IS_REJECTED_BY_SMEV)


class RejectionReasonCode(StrEnum):
    """`RequestRejected/RejectionReasonCode`: why a provider refuses to answer with data."""

    ACCESS_DENIED = "ACCESS_DENIED"
    NO_DATA = "NO_DATA"
    UNKNOWN_REQUEST_DESCRIPTION = "UNKNOWN_REQUEST_DESCRIPTION"
    FAILURE = "FAILURE"


class SignatureVerificationReason(StrEnum):
    """The reason a `SignatureVerificationFault` carries."""

    POOR_SOAP_ENVELOPE_FORMAT = "PoorSOAPEnvelopeFormat"
    NO_SIGNATURE_FOUND = "NoSignatureFound"
    INCORRECT_SIGNATURE_TARGET = "IncorrectSignatureTarget"
    SIGNATURE_IS_INVALID = "SignatureIsInvalid"
    CERTIFICATE_IS_NOT_FOUND = "CertificateIsNotFound"
    CERTIFICATE_IS_EXPIRED = "CertificateIsExpired"


class FaultName(StrEnum):
    """Every SMEV fault of the faults XSDs: the local name of the element in the SOAP fault's `detail`.

    What each carries in a version (nothing for a `basic:Void` fault) is read from the XSD:
    `conformance.protocol.schemafacts.fault_shape`. The XSDs also declare `RequestIsNotFound`, the answer to 1.1's
    `Cancel`, which the project does not model."""

    BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED = "BusinessDataTypeIsNotSupported"
    TRANSACTION_CODE_INVALID = "TransactionCodeInvalid"
    SIGNATURE_VERIFICATION_FAULT = "SignatureVerificationFault"
    INVALID_CONTENT = "InvalidContent"
    ATTACHMENT_CONTENT_MISCOORDINATION = "AttachmentContentMiscoordination"
    ATTACHMENT_SIZE_LIMIT_EXCEEDED = "AttachmentSizeLimitExceeded"
    QUOTE_LIMIT_EXCEEDED = "QuoteLimitExceeded"
    ACCESS_DENIED = "AccessDenied"
    PERSONAL_ACCESS_DENIED = "PersonalAccessDenied"
    SENDER_IS_NOT_REGISTERED = "SenderIsNotRegistered"
    RECIPIENT_IS_NOT_FOUND = "RecipientIsNotFound"
    DESTINATION_OVERFLOW = "DestinationOverflow"
    SMEV_FAILURE = "SMEVFailure"
    MESSAGE_IS_ALREADY_SENT = "MessageIsAlreadySent"
    INVALID_MESSAGE_ID_FORMAT = "InvalidMessageIdFormat"
    STALE_MESSAGE_ID = "StaleMessageId"
    END_OF_LIFE_REACHED = "EndOfLifeReached"
    INCORRECT_RESPONSE_CONTENT_TYPE = "IncorrectResponseContentType"
    UNKNOWN_MESSAGE_TYPE = "UnknownMessageType"
    TARGET_MESSAGE_IS_NOT_FOUND = "TargetMessageIsNotFound"

    def exists_in(self, version: Version) -> bool:
        """PersonalAccessDenied appeared in 1.3; every other fault exists in every version."""
        return self is not FaultName.PERSONAL_ACCESS_DENIED or Version(version) is Version.V1_3
