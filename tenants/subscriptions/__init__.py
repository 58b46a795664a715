"""The practice paying Practica: its plan and Stripe Checkout (checkout), the seat count that
follows its active providers (seats), the platform account's Stripe events that alone change its
status (webhooks), and read-only access after an unpaid grace period (grace).

Patients paying their practice is another matter: practica.patient_billing."""
