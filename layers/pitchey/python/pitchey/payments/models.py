"""Payments tables.

- CreditAccounts (userId): the balance, its movement counter `seq`, lifetime totals, the Stripe customer and
  the subscription state as Stripe last confirmed it (webhooks only).
- CreditLedger (userId, seq): one entry per movement; `seq` is the account's counter after it, so entries
  sort in the order they were applied and `balanceAfter` is exact.
- PaymentTransactions (id; byUser index): what `GET /api/payments/history` lists.
- PaymentRecords (key): references from Stripe ids to ours (`customer#`, `pi#`, `charge#`) and the
  exactly-once records: `event#<evt id>` (with a TTL) and `once#<Stripe object>#<effect>`.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from pitchey.core.config import table_name
from pitchey.core.models import TableMeta


class CreditAccount(Model):
    class Meta(TableMeta):
        table_name = table_name("CREDIT_ACCOUNTS_TABLE", "CreditAccountsTable")

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    balance = NumberAttribute(default=0)
    seq = NumberAttribute(default=0)
    lifetime_purchased = NumberAttribute(default=0, attr_name="lifetimePurchased")
    lifetime_used = NumberAttribute(default=0, attr_name="lifetimeUsed")
    tier = UnicodeAttribute(default="free")
    created_at = UnicodeAttribute(attr_name="createdAt")
    customer_id = UnicodeAttribute(null=True, attr_name="customerId")
    subscription_id = UnicodeAttribute(null=True, attr_name="subscriptionId")
    subscription_status = UnicodeAttribute(null=True, attr_name="subscriptionStatus")
    subscription_tier = UnicodeAttribute(null=True, attr_name="subscriptionTier")  # the plan's tier
    subscription_interval = UnicodeAttribute(null=True, attr_name="subscriptionInterval")
    subscription_created = NumberAttribute(null=True, attr_name="subscriptionCreated")
    current_period_end = NumberAttribute(null=True, attr_name="currentPeriodEnd")
    cancel_at_period_end = BooleanAttribute(null=True, attr_name="cancelAtPeriodEnd")
    # Order of the last subscription event applied: Stripe's event time * 10 + a rank (created < updated <
    # deleted), so a late `created` never overwrites a newer `updated`.
    subscription_event_order = NumberAttribute(null=True, attr_name="subscriptionEventOrder")
    subscribe_claimed_at = NumberAttribute(null=True, attr_name="subscribeClaimedAt")


class LedgerEntry(Model):
    class Meta(TableMeta):
        table_name = table_name("CREDIT_LEDGER_TABLE", "CreditLedgerTable")

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    seq = NumberAttribute(range_key=True)
    delta = NumberAttribute()
    reason = UnicodeAttribute()
    reference_id = UnicodeAttribute(null=True, attr_name="referenceId")
    balance_after = NumberAttribute(attr_name="balanceAfter")
    shortfall = NumberAttribute(null=True)  # a refund that found fewer credits than it takes back
    created_at = UnicodeAttribute(attr_name="createdAt")


class TransactionsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    created_at = UnicodeAttribute(range_key=True, attr_name="createdAt")


class PaymentTransaction(Model):
    class Meta(TableMeta):
        table_name = table_name("PAYMENT_TRANSACTIONS_TABLE", "PaymentTransactionsTable")

    id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(attr_name="userId")
    type = UnicodeAttribute()  # subscription | credits | investment | refund
    amount_cents = NumberAttribute(attr_name="amountCents")
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | completed | failed | refunded | disputed
    description = UnicodeAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    credits = NumberAttribute(default=0)  # credits this payment grants
    pack = UnicodeAttribute(null=True)
    investment_id = UnicodeAttribute(null=True, attr_name="investmentId")
    payment_intent_id = UnicodeAttribute(null=True, attr_name="paymentIntentId")
    invoice_id = UnicodeAttribute(null=True, attr_name="invoiceId")
    refunded_cents = NumberAttribute(default=0, attr_name="refundedCents")
    credits_reversed = NumberAttribute(default=0, attr_name="creditsReversed")
    failure_message = UnicodeAttribute(null=True, attr_name="failureMessage")

    by_user = TransactionsByUser()


class PaymentRecord(Model):
    class Meta(TableMeta):
        table_name = table_name("PAYMENT_RECORDS_TABLE", "PaymentRecordsTable")

    key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(null=True, attr_name="userId")
    transaction_id = UnicodeAttribute(null=True, attr_name="transactionId")
    created_at = UnicodeAttribute(attr_name="createdAt")
    ttl = NumberAttribute(null=True)
