"""Stripe's webhook: the one address the payment provider calls. Only a body whose
Stripe-Signature proves it (the endpoint's signing secret, STRIPE_WEBHOOK_SECRET) is applied,
once per event id (diary/deposits.py); anything else is a 400 with `code`/`detail`."""

import logging

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from diary.deposits import webhook_receive
from web.api.errors import ErrorOutput

logger = logging.getLogger(__name__)


class StripeWebhookApi(APIView):
    # Stripe signs; it has no session or token, and no CSRF cookie to show.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={
            200: inline_serializer(
                "WebhookOutput",
                {"received": serializers.BooleanField(), "outcome": serializers.CharField()},
            ),
            400: OpenApiResponse(ErrorOutput, description="invalid_signature"),
        },
        auth=[],
    )
    def post(self, request):
        """An event from Stripe, applied once (a repeat under the same event id is a 200
        that changes nothing)."""
        outcome = webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
        logger.info("Stripe webhook: %s", outcome)
        return Response({"received": True, "outcome": outcome})
