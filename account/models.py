from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


def normalize_email(email: str) -> str:
    """Emails are the login and compared without case: stored lower-cased, trimmed."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=normalize_email(username))

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_verified", True)
        return self.create_user(email, password, **extra_fields)


class AuthProvider(models.TextChoices):
    """How the account was created: with a password, or by signing in with Google."""

    EMAIL = "email", "Email and password"
    GOOGLE = "google", "Google"


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150)
    avatar = models.URLField(max_length=500, blank=True)
    is_verified = models.BooleanField(
        default=False, help_text="Set once the trader has paid for a challenge."
    )
    # Not `is_verified` (the firm's KYC flag, set by payment or staff): this one only says
    # the trader proved they read this mailbox (a link we sent, or Google vouching for it).
    email_verified = models.BooleanField(
        default=False, help_text="The trader opened the verification link (or Google said so)."
    )
    auth_provider = models.CharField(
        max_length=10, choices=AuthProvider.choices, default=AuthProvider.EMAIL
    )
    google_sub = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        help_text="Google's stable id of the linked Google account (its `sub`).",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Staff are the firm's admins.")
    date_joined = models.DateTimeField(default=timezone.now)
    stripe_account_id = models.CharField(
        max_length=64, blank=True, help_text="Stripe Connect account that receives payouts."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["-date_joined"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="account_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        return self.is_staff
