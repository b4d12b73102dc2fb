using System.Text.Json;
using FluentValidation;
using Fayvad.Shared.Http;
using Fayvad.Shared.Paging;
using Fayvad.Shared.Results;
using Fayvad.Shared.Validation;
using Mediator;
using Microsoft.AspNetCore.Http;

namespace Fayvad.Shared.Tests;

public sealed class PagingTests
{
    [Theory]
    [InlineData(1, 10, 25, true, false)]
    [InlineData(2, 10, 25, true, true)]
    [InlineData(3, 10, 25, false, true)]
    [InlineData(1, 10, 10, false, false)]
    [InlineData(1, 10, 0, false, false)]
    public void Next_and_previous_follow_the_total(int page, int limit, int total, bool hasNext, bool hasPrev)
    {
        var result = new Page<string>([], total, page, limit);
        Assert.Equal(hasNext, result.HasNext);
        Assert.Equal(hasPrev, result.HasPrev);
    }
}

public sealed class ValidationBehaviorTests
{
    public sealed record Ping(string? Name) : IQuery<Result<string>>;

    public sealed record Plain(string? Name) : IQuery<string>;

    private sealed class PingValidator : AbstractValidator<Ping>
    {
        public PingValidator() => RuleFor(p => p.Name).NotEmpty();
    }

    private sealed class PlainValidator : AbstractValidator<Plain>
    {
        public PlainValidator() => RuleFor(p => p.Name).NotEmpty();
    }

    static ValidationBehaviorTests() => SnakeCaseNames.UseForValidation();

    [Fact]
    public async Task Invalid_message_becomes_a_validation_result_and_never_reaches_the_handler()
    {
        var behavior = new ValidationBehavior<Ping, Result<string>>([new PingValidator()]);
        var handlerCalled = false;

        var result = await behavior.Handle(new Ping(null), (_, _) =>
        {
            handlerCalled = true;
            return ValueTask.FromResult(Result<string>.Success("pong"));
        }, TestContext.Current.CancellationToken);

        Assert.False(handlerCalled);
        Assert.False(result.IsSuccess);
        Assert.Equal(ErrorKind.Validation, result.Error!.Kind);
        Assert.Contains("name", result.Error.Fields!.Keys);
    }

    [Fact]
    public async Task Valid_message_reaches_the_handler()
    {
        var behavior = new ValidationBehavior<Ping, Result<string>>([new PingValidator()]);
        var result = await behavior.Handle(new Ping("x"), (_, _) => ValueTask.FromResult(Result<string>.Success("pong")),
            TestContext.Current.CancellationToken);
        Assert.Equal("pong", result.Value);
    }

    [Fact]
    public async Task A_response_that_is_not_a_result_gets_an_exception_instead()
    {
        var behavior = new ValidationBehavior<Plain, string>([new PlainValidator()]);
        await Assert.ThrowsAsync<ValidationException>(async () =>
            await behavior.Handle(new Plain(""), (_, _) => ValueTask.FromResult("x"), TestContext.Current.CancellationToken));
    }
}

public sealed class ApiResultsTests
{
    private static readonly JsonSerializerOptions UtcJson = new() { Converters = { new UtcDateTimeOffsetConverter() } };

    [Theory]
    [InlineData(ErrorKind.Validation, 400)]
    [InlineData(ErrorKind.Unauthorized, 401)]
    [InlineData(ErrorKind.Forbidden, 403)]
    [InlineData(ErrorKind.NotFound, 404)]
    [InlineData(ErrorKind.Conflict, 409)]
    [InlineData(ErrorKind.PayloadTooLarge, 413)]
    [InlineData(ErrorKind.TooManyRequests, 429)]
    [InlineData(ErrorKind.Unavailable, 503)]
    public void Each_error_kind_has_its_status(ErrorKind kind, int status) => Assert.Equal(status, ApiResults.StatusCodeOf(kind));

    [Fact]
    public async Task An_error_is_written_as_the_contracts_error_body_with_retry_after()
    {
        var context = new DefaultHttpContext { RequestServices = new EmptyServices() };
        context.Response.Body = new MemoryStream();
        await ApiResults.Problem(Error.TooManyRequests("Slow down.", TimeSpan.FromSeconds(2.2))).ExecuteAsync(context);

        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal("3", context.Response.Headers.RetryAfter.ToString());
        context.Response.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(context.Response.Body, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Slow down.", body.RootElement.GetProperty("error").GetString());
        Assert.False(body.RootElement.TryGetProperty("fields", out _));
    }

    [Fact]
    public void Instants_are_written_in_utc_with_z()
    {
        var json = JsonSerializer.Serialize(new DateTimeOffset(2025, 1, 9, 19, 40, 0, TimeSpan.FromHours(3)), UtcJson);
        Assert.Equal("\"2025-01-09T16:40:00.000Z\"", json);
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

public sealed class ResultFailureTests
{
    [Fact]
    public void A_result_type_gets_a_failure_carrying_the_error_and_other_types_get_none()
    {
        var error = Error.Validation("name", "name is required.");
        var failed = ResultFailure<Result<int>>.Create!(error);
        Assert.False(failed.IsSuccess);
        Assert.Same(error, failed.Error);
        Assert.Null(ResultFailure<int>.Create);
        Assert.Null(ResultFailure<List<int>>.Create);
    }
}
