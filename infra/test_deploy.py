"""Tests of infra/deploy: the dry run of both example tenants, and its
refusals of bad configs before anything runs."""

import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent / "deploy"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DEPLOY), *args], capture_output=True, text=True, timeout=60)


class DryRun(unittest.TestCase):
    def test_one_tenant_builds_once_then_deploys_its_stack(self):
        r = run("acme", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        build, deploy = r.stdout.strip().splitlines()
        self.assertEqual(build, "sam build --config-file samconfig.toml")
        self.assertIn("sam deploy --config-file samconfig.toml --stack-name feedback-acme --region eu-west-1", deploy)
        for part in ("TenantId=acme", "'DisplayName=Acme Chai Corner'", "TimeZone=Asia/Karachi", "DefaultLocale=ur",
                     "DomainName=feedback.acme.example", "CertificateArn=arn:aws:acm:eu-west-1:", "AlarmTopicArn=arn:aws:sns:",
                     "'MailFrom=Acme Chai Corner <feedback@acme.example>'", "MailIdentity=acme.example",
                     "SmsSender=sns", "SmsSenderId=AcmeChai", "--tags tenant=acme app=feedback"):
            self.assertIn(part, deploy)

    def test_a_tenant_without_a_domain_leaves_it_to_the_template(self):
        r = run("globex", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        deploy = r.stdout.strip().splitlines()[1]
        self.assertIn("--stack-name feedback-globex --region ap-south-1", deploy)
        self.assertIn("TimeZone=Asia/Kolkata DefaultLocale=hi", deploy)
        self.assertNotIn("DomainName", deploy)
        self.assertNotIn("MailFrom", deploy, "sends nothing: the business hands its links out")

    def test_all_builds_once_for_every_tenant(self):
        r = run("--all", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(sum(l.startswith("sam build") for l in lines), 1)
        self.assertEqual([l.split("--stack-name ")[1].split()[0] for l in lines[1:]], ["feedback-acme", "feedback-globex"])


class Refusals(unittest.TestCase):
    def refuse(self, name: str, text: str, *expected: str):
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / f"{name}.toml").write_text(text, encoding="utf-8")
            r = run(name, "--dry-run", "--config-dir", folder)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "", "nothing may run, not even the build")
        self.assertIn("nothing was run", r.stderr)
        for message in expected:
            self.assertIn(message, r.stderr)

    def test_bad_tenant_id(self):
        self.refuse("Bad_Id", 'tenant_id = "Bad_Id"\ndisplay_name = "x"\ntime_zone = "UTC"\nregion = "eu-west-1"\n',
                    "tenant_id 'Bad_Id' must be 3-32 of a-z")

    def test_unknown_time_zone(self):
        self.refuse("acme", 'tenant_id = "acme"\ndisplay_name = "x"\ntime_zone = "Mars/Olympus"\nregion = "eu-west-1"\n',
                    "time_zone 'Mars/Olympus' is not an IANA time zone")

    def test_missing_fields_are_all_named(self):
        self.refuse("acme", 'tenant_id = "acme"\n', "'display_name' is required", "'time_zone' is required", "'region' is required")

    def test_other_mistakes(self):
        self.refuse(
            "acme",
            'tenant_id = "acme"\ndisplay_name = "x"\ntime_zone = "UTC"\nregion = "eu-west-1"\n'
            'domain_name = "feedback.acme.example"\ndefault_locale = "fr"\ncolour = "blue"\n',
            "domain_name and certificate_arn go together",
            "default_locale must be one of en, ur, hi",
            "'colour' is not a known setting",
        )

    def test_edge_protection_needs_its_domain_certificate_and_web_acl(self):
        base = 'tenant_id = "acme"\ndisplay_name = "x"\ntime_zone = "UTC"\nregion = "eu-west-1"\n'
        self.refuse("acme", base + 'edge_protection = "cloudfront"\n',
                    "serves domain_name", "edge_web_acl_arn must name a CLOUDFRONT web ACL")
        self.refuse("acme", base + 'edge_protection = "cloudfront"\ndomain_name = "f.acme.example"\n'
                    'certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/x"\n'
                    'edge_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/y"\n',
                    "certificate_arn must be in us-east-1", "is not a CloudFront (global, us-east-1) WAF web ACL ARN")
        self.refuse("acme", base + 'edge_protection = "waf"\n', "edge_protection must be one of none, cloudfront")
        self.refuse("acme", base + 'edge_web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/y"\n',
                    "only used with edge_protection")

    def test_edge_protection_in_us_east_1_makes_its_own_web_acl(self):
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "shop.toml").write_text(
                'tenant_id = "shop"\ndisplay_name = "Shop"\ntime_zone = "UTC"\nregion = "us-east-1"\n'
                'domain_name = "f.shop.example"\ncertificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/x"\n'
                'edge_protection = "cloudfront"\n', encoding="utf-8")
            r = run("shop", "--dry-run", "--config-dir", folder)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("EdgeProtection=cloudfront", r.stdout)
        self.assertNotIn("EdgeWebAclArn", r.stdout)

    def test_sending_needs_a_verified_identity_and_a_known_sender(self):
        base = 'tenant_id = "acme"\ndisplay_name = "x"\ntime_zone = "UTC"\nregion = "eu-west-1"\n'
        self.refuse("acme", base + 'mail_from = "Acme <feedback@acme.example>"\n', "mail_from and mail_identity go together")
        self.refuse("acme", base + 'mail_from = "feedback@acme.example"\nmail_identity = "other.example"\n',
                    "must be mail_from's address or its domain")
        self.refuse("acme", base + 'mail_from = "not an address"\nmail_identity = "acme.example"\n',
                    "mail_from must be an address")
        self.refuse("acme", base + 'sms_sender = "twilio"\nsms_sender_id = "Acme Chai Corner"\n'
                    'sms_origination_number = "0300 1234567"\n',
                    "sms_sender must be one of none, sns", "sms_sender_id must be 1-11 letters and digits",
                    "sms_origination_number must be an E.164 number")
        self.refuse("acme", base + 'sms_sender_id = "Acme"\n', "only used with sms_sender")

    def test_file_name_and_id_must_agree(self):
        self.refuse("acme", 'tenant_id = "globex"\ndisplay_name = "x"\ntime_zone = "UTC"\nregion = "eu-west-1"\n',
                    "must match the file name 'acme.toml'")

    def test_unknown_tenant_and_no_tenant(self):
        r = run("nosuch", "--dry-run")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no such tenant config", r.stderr)
        self.assertEqual(run("--dry-run").returncode, 2)


if __name__ == "__main__":
    unittest.main()
