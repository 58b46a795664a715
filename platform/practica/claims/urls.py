"""The back office's claims pages: coding, the biller's queues and billing setup (under /claims/)."""

from django.urls import path

from practica.claims import coding_views, queue_views, scrub_rule_views, setup_views

app_name = "claims"

urlpatterns = [
    path("", queue_views.claim_list, name="claim_list"),
    path("charges/", queue_views.charges_to_review, name="charges"),
    path("ready/", queue_views.ready_batches, name="ready"),
    path("submissions/", queue_views.submission_history, name="submissions"),
    path("submissions/<str:batch_id>/", queue_views.batch_detail, name="batch"),
    path("ready/send/", queue_views.send_ready, name="send_ready"),
    path("setup/", setup_views.setup_overview, name="setup"),
    path("setup/scrub-rules/", scrub_rule_views.scrub_rules, name="scrub_rules"),
    path("setup/scrub-rules/new/", scrub_rule_views.custom_rule_edit, name="scrub_rule_new"),
    path("setup/scrub-rules/<str:rule_id>/", scrub_rule_views.custom_rule_edit, name="scrub_rule"),
    path(
        "setup/scrub-rules/<str:rule_id>/remove/",
        scrub_rule_views.custom_rule_delete,
        name="scrub_rule_delete",
    ),
    path("setup/profile/", setup_views.profile_edit, name="setup_profile"),
    path("setup/payers/new/", setup_views.payer_edit, name="setup_payer_new"),
    path("setup/payers/<str:payer_id>/", setup_views.payer_edit, name="setup_payer"),
    path("setup/procedures/new/", setup_views.procedure_edit, name="setup_procedure_new"),
    path("setup/procedures/import/", setup_views.procedure_import, name="setup_procedure_import"),
    path("setup/procedures/<str:procedure_id>/", setup_views.procedure_edit, name="setup_procedure"),
    path("setup/fees/new/", setup_views.fee_schedule_edit, name="setup_fee_schedule_new"),
    path("setup/fees/<str:schedule_id>/", setup_views.fee_schedule_edit, name="setup_fee_schedule"),
    path("diagnoses/", coding_views.diagnosis_search, name="diagnosis_search"),
    path("encounters/<str:encounter_id>/", coding_views.encounter_coding, name="encounter"),
    path("<str:claim_id>/", queue_views.claim_detail, name="claim"),
    path("<str:claim_id>/status/", queue_views.claim_transition, name="claim_transition"),
    path("<str:claim_id>/next-payer/", queue_views.claim_to_next_payer, name="claim_to_next_payer"),
]
