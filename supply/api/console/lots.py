"""Console forms for lots and stock on the road: receive a transfer (with its discrepancy) and write off an expired lot.

Same pattern as :mod:`supply.api.console.stations`: CSRF and the writer's role checked, the API's
input models, the ledger's functions in one transaction, back to the station (or the form again
with its messages beside the fields).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from supply.api.console.forms import Form, flag, submit
from supply.api.console.session import Officer
from supply.api.console.stations import back_to_station, optional, station_page
from supply.api.deps import CodePath, RuntimeDep, SessionDep, Writer
from supply.service import ledger
from supply.service.inputs import ExpireIn, TransferReceiptIn

router = APIRouter()


@router.post("/stations/{code}/receive/{ref}")
def post_receive(
    code: CodePath, ref: str, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form
):
    """What arrived of a transfer to this station; short or over needs a reason (recorded as a discrepancy)."""
    exercise = flag(form.get("exercise"))
    optional(form, "lot")
    w = Writer(runtime, user, request, None)
    legs, errors = submit(
        request,
        w,
        TransferReceiptIn,
        form,
        lambda s, body: ledger.receive_transfer(s, w.actor, ref, body.quantity, body.reason, lot=body.lot),
    )
    if legs:
        return back_to_station(code, exercise, f"transfer_in:{legs[0].id}")
    return station_page(
        request, session, runtime, code, exercise, status=422, form=f"receive-{ref}", values=form, errors=errors
    )


@router.post("/stations/{code}/expire")
def post_expire(code: CodePath, request: Request, session: SessionDep, runtime: RuntimeDep, user: Officer, form: Form):
    """Write off what is left of an expired lot."""
    exercise = form["exercise"] = flag(form.get("exercise"))
    w = Writer(runtime, user, request, None)
    m, errors = submit(
        request,
        w,
        ExpireIn,
        form,
        lambda s, body: ledger.expire(s, w.actor, code, body.item, body.lot, body.reason, exercise=body.exercise),
    )
    if m is not None:
        return back_to_station(code, exercise, f"expire:{m.id}")
    lot = form.get("lot", "")
    return station_page(
        request, session, runtime, code, exercise, status=422, form=f"expire-{lot}", values=form, errors=errors
    )
