"""Request and response shapes of the JSON API. The same schemas validate the
requests and generate the OpenAPI document (GW-1). Every text field follows the
one input policy of `services.common.inputs` and declares it (maxLength,
pattern); business rules (password, SIRET key, age…) are checked again by the
services, which report every field at once.

One module per area of the API; every schema is reachable as `schemas.Name`.
"""

from gateway.schemas.accounts import (  # noqa: F401
    Activation,
    Address,
    Credentials,
    EmailOnly,
    NewToken,
    PasswordChange,
    PasswordResetConfirm,
    Profile,
    ProfileChanges,
    Session,
    SignUp,
    SignUpAccepted,
)
from gateway.schemas.base import (  # noqa: F401
    ApiSchema,
    Error,
    Message,
    Part,
)
from gateway.schemas.booking import (  # noqa: F401
    INSEE_CODE,
    Cart,
    CartLine,
    Centre,
    HoldRequest,
    NephQuery,
    Place,
    PlaceChoice,
    PricedCart,
    ReservationChange,
    ReservationDetail,
    ReservationSearch,
    SearchResult,
    SessionSearch,
    Slot,
    SlotChange,
)
from gateway.schemas.candidates import (  # noqa: F401
    Candidate,
    CandidateCode,
    CandidateConfirmation,
    CandidateLink,
    CandidateLinkOut,
    CandidateList,
    CandidateReceiptRequest,
    CandidateRow,
    CandidateSearch,
    Confirmed,
    ContactChange,
    CsvImport,
    Erasure,
    ImportFailure,
    ImportReport,
    NewCandidate,
    OptionalAddress,
)
from gateway.schemas.checkout import (  # noqa: F401
    CardPayment,
    CardProvider,
    Payment,
    PaymentList,
    PaymentRow,
    SepaPayment,
)
from gateway.schemas.results import ExamResult, ExamResults, ResultSearch  # noqa: F401
from gateway.schemas.waiting_list import (  # noqa: F401
    WaitingEntries,
    WaitingEntry,
    WaitingListRequest,
)
